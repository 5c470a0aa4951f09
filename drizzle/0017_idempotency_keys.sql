CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`scope` text NOT NULL,
	`content_hash` text NOT NULL,
	`result` text NOT NULL,
	`actor_user_id` integer,
	`created_at_ms` integer NOT NULL
);
--> statement-breakpoint
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'redemption.basket', 'legacy', json_object('ok', json('true'), 'id', `id`), `clerk_user_id`, `created_at_ms` FROM `redemptions`;
--> statement-breakpoint
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'redemption.voucher_grant', 'legacy', json_object('ok', json('true'), 'id', `id`), `granted_by_user_id`, `at_ms` FROM `voucher_grants`;
--> statement-breakpoint
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'redemption.settlement', 'legacy', json_object('ok', json('true'), 'id', `id`), `recorded_by_user_id`, `at_ms` FROM `clearing_settlements`;
--> statement-breakpoint
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'redemption.gift', 'legacy', json_object('ok', json('true'), 'id', `id`), `actor_user_id`, `at_ms` FROM `member_gifts`;
--> statement-breakpoint
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'redemption.request', 'legacy', json_object('ok', json('true'), 'id', `id`), `created_by_user_id`, `created_at_ms` FROM `service_requests`;
--> statement-breakpoint
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'redemption.site', 'legacy', json_object('ok', json('true'), 'value', json_object('siteId', `id`)), `created_by_user_id`, `created_at_ms`
  FROM `partner_sites` WHERE `idempotency_key` IS NOT NULL;
--> statement-breakpoint
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'redemption.stock', 'legacy', json_object('ok', json('true'), 'value', json_object('stock', `stock_after`)), `actor_user_id`, `at_ms`
  FROM `stock_movements` WHERE `idempotency_key` IS NOT NULL;
