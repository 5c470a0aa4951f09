/**
 * The figures the reports keep, with their precise definitions. Every one is
 * computed from the ledger's posted transfers (flags neither pending nor
 * void) and the business records they point to; see refresh.ts.
 *
 * Ledger figures (month = month of the transfer's timestamp, Shanghai):
 * - credits_issued: posted `service_credit` transfers issuance -> member
 *   wallet, at the member's home village; less `correction` transfers that
 *   send credits from a member wallet back to an issuance account.
 * - credits_redeemed: posted `redemption` transfers out of a member wallet or
 *   an elder's voucher account, at the holder's home village (a cross-county
 *   chain wallet -> clearing -> clearing -> site counts once, on its wallet
 *   leg); less `correction` transfers from a site or clearing account back to
 *   such an account (a voided basket).
 * - redeemed_at_sites: the same redemptions counted where the site is
 *   (posted `redemption` transfers into site accounts, less corrections out).
 * - wallet_net: every posted movement in (+) or out (-) of member wallets and
 *   elder voucher accounts, with the transfer code as dimension (each code is
 *   a named flow: balance at the end of M = balance at the end of M-1 + the
 *   month's flows). Outstanding at the end of month M (what the
 *   network owes its members) = the sum of wallet_net over months <= M =
 *   the posted balances of those accounts. County pools are not included
 *   (they are owed to nobody in particular) and are shown separately.
 * - vouchers_granted: posted `voucher` transfers into elder voucher accounts.
 * - vouchers_used: posted transfers out of elder voucher accounts
 *   (redemptions and service payments), less corrections back into them.
 * - clearing_flow: cross-county redemptions (leg payer -> clearing:A
 *   followed by leg clearing:B -> site), at county A with dimension B: what
 *   A's members spent at B's sites; voids subtract.
 * - settlement_flow: posted `settlement` transfers clearing:A -> clearing:B,
 *   at A with dimension B. A county's clearing position is the posted balance
 *   of its clearing account (> 0: it owes the network).
 *
 * Service figures (month = month of the record's service date, Shanghai),
 * counted when a service record's credit is posted (approval), at the
 * village where the service was given, and removed again by a reversal.
 * A completed service request (src/domain/redemption/requests.ts) is a
 * service record too (status 'completed', request_id set; written with the
 * payment, src/domain/hours/request-records.ts): it counts when its hold is
 * posted (the `service_payment` transfer with the post-pending flag, written
 * by confirmRequest), with the figures of its record: the request's village,
 * the offered minutes as service minutes, the volunteer's payment
 * (`req:<id>:pay`) as credited minutes, the Shanghai date of confirmation as
 * service date, its type's category, and as recipient the request's elder, or
 * the registered elder who is the requesting member. It is a transfer between
 * members, so it is never in credits_issued:
 * - service_minutes / service_records by category (dimension);
 * - volunteers_active (+ volunteers_active_silver, 60 or older on the month's
 *   last day): distinct volunteers with credited service, at their home village;
 * - elders_visited: distinct registered elders who received credited service
 *   (any service type counts as a visit: someone came), at the elder's village;
 * - rural_disabled_helped: the same for elders in rural villages with a
 *   disabled or semi-disabled category.
 *
 * Registry figures (report_registry, rebuilt whole on a timer; dimension =
 * month the record was created, so "at the end of month M" sums dimension <= M):
 * members_joined (status active or suspended), members_silver_joined (the same
 * members, dimension = the later of the join month and the month of the 60th
 * birthday, so the sum over dimension <= M is the silver-age count at the end of M), elders_joined (active), rural_disabled_joined (active, rural
 * village, disabled or semi-disabled), villages_rural, villages_with_point
 * (rural villages with at least one active partner site: the village
 * mutual-aid point), sites (active partner sites).
 */
export const metric = {
  creditsIssued: 'credits_issued',
  creditsRedeemed: 'credits_redeemed',
  redeemedAtSites: 'redeemed_at_sites',
  walletNet: 'wallet_net',
  vouchersGranted: 'vouchers_granted',
  vouchersUsed: 'vouchers_used',
  clearingFlow: 'clearing_flow',
  settlementFlow: 'settlement_flow',
  serviceMinutes: 'service_minutes',
  serviceRecords: 'service_records',
  volunteersActive: 'volunteers_active',
  volunteersActiveSilver: 'volunteers_active_silver',
  eldersVisited: 'elders_visited',
  ruralDisabledHelped: 'rural_disabled_helped',
} as const;

export const registryMetric = {
  membersJoined: 'members_joined',
  membersSilverJoined: 'members_silver_joined',
  eldersJoined: 'elders_joined',
  ruralDisabledJoined: 'rural_disabled_joined',
  villagesRural: 'villages_rural',
  villagesWithPoint: 'villages_with_point',
  sites: 'sites',
} as const;

/** Elder categories that count as "disabled" for the rural help rate (失能、半失能). */
export const disabledCategories = ['disabled', 'semi_disabled'] as const;
