/**
 * The events the app tells people about (docs/MESSAGES.md). Each kind names
 * its parameters and, for the SMS text, the most characters each may take
 * there (a longer value is cut with "…"), so a template's longest rendering
 * is known before it is saved. A later feature (stars, certificates) adds
 * its kind here, its words to src/i18n/<locale>/messages.json
 * (`messages.kind.<kind>`, `messages.sms.<kind>`) and calls notify().
 *
 * Parameter names say how they are shown: `…Minutes` as a duration
 * ("1 小时 30 分"), `…AtMs` as a date and time in Shanghai; others as given.
 */
export const messageKinds = {
  record_approved: { smsParams: { serviceDate: 10, creditMinutes: 12 } },
  record_rejected: { smsParams: { serviceDate: 10, reason: 30 } },
  credits_gift: { smsParams: { giverName: 10, amountMinutes: 12 } },
  credits_voucher: { smsParams: { amountMinutes: 12 } },
  redemption_receipt: { smsParams: { siteName: 16, items: 20, totalMinutes: 12, balanceAfterMinutes: 12 } },
  pin_locked: { smsParams: { unlockAtMs: 16 } },
  review_overdue: { smsParams: { count: 5, days: 3 } },
  elders_overdue: { smsParams: { count: 5 } },
  star_awarded: { smsParams: { star: 1 } },
  certificate_issued: { smsParams: { number: 20 } },
} as const satisfies Record<string, { smsParams: Record<string, number> }>;

export type MessageKind = keyof typeof messageKinds;
export const messageKindNames = Object.keys(messageKinds) as MessageKind[];

export type MessageParams = Record<string, string | number>;

/** Who a message is for: a member (read by the member's own login; SMS if they chose it) or a user (staff). */
export type Recipient = { memberId: number } | { userId: number };

export interface MessageEvent {
  kind: MessageKind;
  to: Recipient;
  params: MessageParams;
  /** Set by periodic reminders: a second event with the same key in the same period writes nothing. */
  dedupeKey?: string;
}

export function isMessageKind(value: string): value is MessageKind {
  return Object.hasOwn(messageKinds, value);
}
