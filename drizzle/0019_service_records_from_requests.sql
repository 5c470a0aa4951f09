-- Issue 15: a completed service request becomes a service record (one table for the services reports count).
-- 1. service_records is rebuilt: status 'completed' and source 'request' are allowed, and a nullable
--    request_id links the record to its request (unique; a check keeps the three together). The migrator
--    runs inside one transaction, where PRAGMA foreign_keys cannot be switched off, so activity_attendance
--    (the only table that refers to service_records) is rebuilt too, pointing at the new table, and the
--    child is dropped before the parent (as 0010 did): no foreign key is broken, even for a moment.
-- 2. Every completed request becomes one record, exactly once (NOT EXISTS on request_id, and the unique
--    index behind it). The rule is the one confirmRequest uses from now on (src/domain/hours/request-records.ts,
--    docs/HOURS.md "Services delivered through a request"):
--    - service type: in the standard version in force on the service date (the earliest version when the
--      request was completed before the first took effect), the first type of the request's category
--      (requests say 'meals' where the standard says 'meal'; the other categories are the same words),
--      active types first; when the version has no type of that category, its first 'mutual_aid' type
--      (互助服务, other mutual aid); when it has none of those either, its first type. A network without
--      any published standard has no type to give: such requests get no record;
--    - service date: the Shanghai day the request was confirmed (what the reports always counted); the
--      service ends at the confirmation and lasts the minutes offered; credit_minutes: what the volunteer's
--      wallet received (req:<id>:pay; 0 when all of it went to the pool over the balance cap);
--    - recipient: the request's elder, or the registered elder who is the requesting member;
--    - status 'completed' and source 'request': the payment was a peer transfer (payer -> escrow -> volunteer),
--      no credit was issued, and the hours feature never reviews, posts or reverses it.
-- 3. Each copied record's key (request-<id>) goes into idempotency_keys (scope hours.request_record, content
--    'legacy'), as confirmRequest's writeOnce would have stored it.
CREATE TABLE `__new_service_records` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`idempotency_key` text NOT NULL,
	`volunteer_member_id` integer NOT NULL,
	`service_type_id` integer NOT NULL,
	`service_type_code` text NOT NULL,
	`elder_id` integer,
	`village_code` text NOT NULL,
	`county_code` text NOT NULL,
	`service_date` text NOT NULL,
	`start_at_ms` integer NOT NULL,
	`end_at_ms` integer NOT NULL,
	`duration_minutes` integer NOT NULL,
	`credit_minutes` integer NOT NULL,
	`note` text,
	`source` text NOT NULL,
	`entered_by_user_id` integer,
	`confirmed_by_card` integer DEFAULT false NOT NULL,
	`activity_id` integer,
	`status` text NOT NULL,
	`hold_transfer_id` text NOT NULL,
	`reviewed_by_user_id` integer,
	`reviewed_at_ms` integer,
	`rejection_reason` text,
	`reversal_transfer_id` text,
	`reversal_reason` text,
	`reversed_by_user_id` integer,
	`reversed_at_ms` integer,
	`created_at_ms` integer NOT NULL,
	`request_id` integer,
	FOREIGN KEY (`volunteer_member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`service_type_id`) REFERENCES `service_types`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`elder_id`) REFERENCES `elders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`village_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`entered_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`activity_id`) REFERENCES `team_activities`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`reviewed_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`reversed_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`request_id`) REFERENCES `service_requests`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "service_records_status_valid" CHECK("__new_service_records"."status" IN ('pending','approved','rejected','expired','reversed','completed')),
	CONSTRAINT "service_records_source_valid" CHECK("__new_service_records"."source" IN ('self','coordinator','activity','request')),
	CONSTRAINT "service_records_request_link" CHECK(("__new_service_records"."request_id" IS NULL AND "__new_service_records"."source" <> 'request' AND "__new_service_records"."status" <> 'completed')
      OR ("__new_service_records"."request_id" IS NOT NULL AND "__new_service_records"."source" = 'request' AND "__new_service_records"."status" = 'completed')),
	CONSTRAINT "service_records_times" CHECK("__new_service_records"."end_at_ms" > "__new_service_records"."start_at_ms"),
	CONSTRAINT "service_records_duration_positive" CHECK("__new_service_records"."duration_minutes" > 0 AND "__new_service_records"."credit_minutes" >= 0)
);
--> statement-breakpoint
INSERT INTO `__new_service_records`("id", "idempotency_key", "volunteer_member_id", "service_type_id", "service_type_code", "elder_id", "village_code", "county_code", "service_date", "start_at_ms", "end_at_ms", "duration_minutes", "credit_minutes", "note", "source", "entered_by_user_id", "confirmed_by_card", "activity_id", "status", "hold_transfer_id", "reviewed_by_user_id", "reviewed_at_ms", "rejection_reason", "reversal_transfer_id", "reversal_reason", "reversed_by_user_id", "reversed_at_ms", "created_at_ms") SELECT "id", "idempotency_key", "volunteer_member_id", "service_type_id", "service_type_code", "elder_id", "village_code", "county_code", "service_date", "start_at_ms", "end_at_ms", "duration_minutes", "credit_minutes", "note", "source", "entered_by_user_id", "confirmed_by_card", "activity_id", "status", "hold_transfer_id", "reviewed_by_user_id", "reviewed_at_ms", "rejection_reason", "reversal_transfer_id", "reversal_reason", "reversed_by_user_id", "reversed_at_ms", "created_at_ms" FROM `service_records`;--> statement-breakpoint
CREATE TABLE `__new_activity_attendance` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` integer NOT NULL,
	`member_id` integer NOT NULL,
	`signed_in_at_ms` integer NOT NULL,
	`signed_out_at_ms` integer,
	`record_id` integer,
	FOREIGN KEY (`session_id`) REFERENCES `activity_sessions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`record_id`) REFERENCES `__new_service_records`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_activity_attendance`("id", "session_id", "member_id", "signed_in_at_ms", "signed_out_at_ms", "record_id") SELECT "id", "session_id", "member_id", "signed_in_at_ms", "signed_out_at_ms", "record_id" FROM `activity_attendance`;--> statement-breakpoint
DROP TABLE `activity_attendance`;--> statement-breakpoint
DROP TABLE `service_records`;--> statement-breakpoint
ALTER TABLE `__new_service_records` RENAME TO `service_records`;--> statement-breakpoint
ALTER TABLE `__new_activity_attendance` RENAME TO `activity_attendance`;--> statement-breakpoint
CREATE UNIQUE INDEX `activity_attendance_session_member` ON `activity_attendance` (`session_id`,`member_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `service_records_request` ON `service_records` (`request_id`) WHERE "service_records"."request_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `service_records_idempotency_key` ON `service_records` (`idempotency_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `service_records_hold_transfer` ON `service_records` (`hold_transfer_id`);--> statement-breakpoint
CREATE INDEX `service_records_volunteer_start` ON `service_records` (`volunteer_member_id`,`start_at_ms`);--> statement-breakpoint
CREATE INDEX `service_records_status_created` ON `service_records` (`status`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `service_records_village_status` ON `service_records` (`village_code`,`status`);--> statement-breakpoint
CREATE INDEX `service_records_elder_date` ON `service_records` (`elder_id`,`service_date`);--> statement-breakpoint
CREATE INDEX `service_records_activity` ON `service_records` (`activity_id`);;--> statement-breakpoint
INSERT INTO `service_records` (`idempotency_key`, `volunteer_member_id`, `service_type_id`, `service_type_code`, `elder_id`, `village_code`, `county_code`, `service_date`,
    `start_at_ms`, `end_at_ms`, `duration_minutes`, `credit_minutes`, `note`, `source`, `entered_by_user_id`, `confirmed_by_card`, `activity_id`, `status`, `hold_transfer_id`,
    `created_at_ms`, `request_id`)
  SELECT 'request-' || q.`id`, q.`volunteer_member_id`, t.`id`, t.`code`,
    coalesce(q.`elder_id`, (SELECT min(e.`id`) FROM `elders` e WHERE e.`member_id` = q.`requester_member_id`)), q.`village_code`, q.`county_code`,
    date((q.`closed_at_ms` + 28800000) / 1000, 'unixepoch'), q.`closed_at_ms` - q.`offered_minutes` * 60000, q.`closed_at_ms`, q.`offered_minutes`,
    coalesce((SELECT p.`amount` FROM `ledger_transfers` p WHERE p.`id` = 'req:' || q.`id` || ':pay'), 0), q.`description`, 'request', q.`closed_by_user_id`, 0, NULL,
    'completed', q.`hold_transfer_id`, q.`closed_at_ms`, q.`id`
  FROM `service_requests` q
  JOIN `service_types` t ON t.`id` = (
    SELECT c.`id` FROM `service_types` c
    WHERE c.`version_id` = coalesce(
      (SELECT v.`id` FROM `service_standard_versions` v WHERE v.`effective_date` <= date((q.`closed_at_ms` + 28800000) / 1000, 'unixepoch') ORDER BY v.`effective_date` DESC LIMIT 1),
      (SELECT v.`id` FROM `service_standard_versions` v ORDER BY v.`effective_date` LIMIT 1))
    ORDER BY c.`category` = (CASE q.`service_category` WHEN 'meals' THEN 'meal' ELSE q.`service_category` END) DESC, c.`category` = 'mutual_aid' DESC, c.`active` DESC, c.`id`
    LIMIT 1)
  WHERE q.`status` = 'completed' AND q.`volunteer_member_id` IS NOT NULL AND q.`closed_at_ms` IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM `service_records` r WHERE r.`request_id` = q.`id`)
  ORDER BY q.`id`;--> statement-breakpoint
INSERT OR IGNORE INTO `idempotency_keys` (`key`, `scope`, `content_hash`, `result`, `actor_user_id`, `created_at_ms`)
  SELECT `idempotency_key`, 'hours.request_record', 'legacy', json_object('ok', json('true'), 'id', `id`), NULL, `created_at_ms`
  FROM `service_records` WHERE `request_id` IS NOT NULL;
