-- Issue 15: the hours log form, member and elder registration, team and team-activity creation run once per
-- form key through the kernel (idempotency_keys). Keys of rows written before are copied with content 'legacy'
-- (any content under such a key answers the first row, as it did). Each table's own idempotency_key column
-- stays unique as a safety net (activity attendance keys of service_records stay there only: they are not form keys).
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'hours.log', 'legacy', json_object('ok', json('true'), 'id', `id`), `entered_by_user_id`, `created_at_ms`
  FROM `service_records` WHERE `source` IN ('self', 'coordinator');
--> statement-breakpoint
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'members.register', 'legacy',
    json_object('ok', json('true'), 'value', json_object('memberId', `id`, 'cardNumber', `card_number`, 'cardToken', NULL)), `created_by_user_id`, `created_at_ms`
  FROM `members` WHERE `idempotency_key` IS NOT NULL;
--> statement-breakpoint
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'elders.register', 'legacy', json_object('ok', json('true'), 'value', json_object('elderId', `id`)), `created_by_user_id`, `created_at_ms`
  FROM `elders` WHERE `idempotency_key` IS NOT NULL;
--> statement-breakpoint
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'teams.create', 'legacy', json_object('ok', json('true'), 'value', json_object('teamId', `id`)), `created_by_user_id`, `created_at_ms`
  FROM `teams` WHERE `idempotency_key` IS NOT NULL;
--> statement-breakpoint
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'teams.activity', 'legacy', json_object('ok', json('true'), 'value', json_object('activityId', `id`)), `created_by_user_id`, `created_at_ms`
  FROM `team_activities` WHERE `idempotency_key` IS NOT NULL;
