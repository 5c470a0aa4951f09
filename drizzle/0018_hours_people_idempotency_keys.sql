-- Issue 15: the hours log form runs once per key through the kernel (idempotency_keys).
-- Keys of records logged before are copied with content 'legacy' (any content answers the first record, as it did).
-- service_records.idempotency_key stays unique as a safety net (activity attendance keys stay there only).
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'hours.log', 'legacy', json_object('ok', json('true'), 'id', `id`), `entered_by_user_id`, `created_at_ms`
  FROM `service_records` WHERE `source` IN ('self', 'coordinator');
