import { segmentsOf } from './sms-text.ts';
import { maskPhone } from '../../lib/mask.ts';

/**
 * How an SMS leaves the app, chosen by configuration (SMS_TRANSPORT):
 * `log` writes what would be sent (phone masked); `http` POSTs JSON to a
 * gateway. A transport answers the gateway's id or throws; the outbox id is
 * the idempotency key, so a retry after a lost answer is not a second SMS.
 */
export interface SmsToSend {
  /** The outbox row id: the gateway's idempotency key. */
  id: number;
  phone: string;
  text: string;
}

export interface SmsTransport {
  readonly kind: 'log' | 'http';
  send(sms: SmsToSend): Promise<{ gatewayId: string }>;
}

/** The part of a logger the log transport needs (Fastify's logger fits). */
export interface SmsLogger {
  info(object: Record<string, unknown>, message: string): void;
}

export function logTransport(logger: SmsLogger): SmsTransport {
  return {
    kind: 'log',
    async send(sms) {
      // The text can carry a name or a rejection reason: it stays in the outbox row, not in the log.
      const characters = [...sms.text].length;
      logger.info({ smsId: sms.id, phone: maskPhone(sms.phone), characters, segments: segmentsOf(characters) }, 'SMS (log transport): would send');
      return { gatewayId: `log-${sms.id}` };
    },
  };
}

export interface HttpTransportOptions {
  url: string;
  key: string;
  /** An answer slower than this counts as failed (and is retried with the same idempotency key). */
  timeoutMs?: number;
}

/** Why a send failed, in words that hold no phone and no text. */
export class SmsSendError extends Error {}

export function httpTransport(options: HttpTransportOptions): SmsTransport {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    kind: 'http',
    async send(sms) {
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${options.key}`, 'idempotency-key': String(sms.id) },
          body: JSON.stringify({ id: String(sms.id), phone: sms.phone, text: sms.text }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (error) {
        throw new SmsSendError(error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network error');
      }
      if (!response.ok) throw new SmsSendError(`gateway answered ${response.status}`);
      const answer = (await response.json().catch(() => ({}))) as { id?: unknown };
      return { gatewayId: typeof answer.id === 'string' ? answer.id : String(sms.id) };
    },
  };
}
