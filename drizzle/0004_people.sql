CREATE TABLE `elder_categories` (
	`elder_id` integer NOT NULL,
	`category` text NOT NULL,
	`sensitive` integer NOT NULL,
	PRIMARY KEY(`elder_id`, `category`),
	FOREIGN KEY (`elder_id`) REFERENCES `elders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `elder_categories_category` ON `elder_categories` (`category`);--> statement-breakpoint
CREATE TABLE `elder_consents` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`elder_id` integer NOT NULL,
	`purpose` text NOT NULL,
	`given_by` text NOT NULL,
	`given_by_name` text,
	`method` text NOT NULL,
	`recorded_by_user_id` integer,
	`recorded_at_ms` integer NOT NULL,
	`withdrawn_at_ms` integer,
	FOREIGN KEY (`elder_id`) REFERENCES `elders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`recorded_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "elder_consents_purpose_valid" CHECK("elder_consents"."purpose" IN ('registry','sensitive_health'))
);
--> statement-breakpoint
CREATE INDEX `elder_consents_elder` ON `elder_consents` (`elder_id`);--> statement-breakpoint
CREATE TABLE `elders` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`member_id` integer,
	`real_name` text NOT NULL,
	`name_pinyin` text NOT NULL,
	`name_initials` text NOT NULL,
	`phone` text,
	`id_number_ciphertext` text NOT NULL,
	`id_number_hmac` text NOT NULL,
	`birth_date` text NOT NULL,
	`gender` text NOT NULL,
	`village_code` text NOT NULL,
	`visit_interval_days` integer DEFAULT 30 NOT NULL,
	`family_contact_name` text,
	`family_contact_relation` text,
	`family_contact_phone` text,
	`status` text DEFAULT 'active' NOT NULL,
	`status_reason` text,
	`created_by_user_id` integer,
	`import_batch_id` integer,
	`created_at_ms` integer NOT NULL,
	`updated_at_ms` integer NOT NULL,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`village_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "elders_visit_interval_positive" CHECK("elders"."visit_interval_days" BETWEEN 1 AND 366),
	CONSTRAINT "elders_status_valid" CHECK("elders"."status" IN ('active','closed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `elders_id_hmac_active` ON `elders` (`id_number_hmac`) WHERE "elders"."status" = 'active';--> statement-breakpoint
CREATE INDEX `elders_village` ON `elders` (`village_code`,`status`);--> statement-breakpoint
CREATE INDEX `elders_member` ON `elders` (`member_id`);--> statement-breakpoint
CREATE TABLE `import_batches` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`file_sha256` text NOT NULL,
	`file_name` text NOT NULL,
	`file_ciphertext` blob,
	`scope_region_code` text NOT NULL,
	`status` text NOT NULL,
	`total_rows` integer DEFAULT 0 NOT NULL,
	`valid_rows` integer DEFAULT 0 NOT NULL,
	`error_rows` integer DEFAULT 0 NOT NULL,
	`processed_rows` integer DEFAULT 0 NOT NULL,
	`imported_rows` integer DEFAULT 0 NOT NULL,
	`skipped_rows` integer DEFAULT 0 NOT NULL,
	`failure_code` text,
	`created_by_user_id` integer,
	`created_at_ms` integer NOT NULL,
	`started_at_ms` integer,
	`finished_at_ms` integer,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "import_batches_status_valid" CHECK("import_batches"."status" IN ('validated','importing','done','failed'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `import_batches_kind_file` ON `import_batches` (`kind`,`file_sha256`);--> statement-breakpoint
CREATE TABLE `import_rows` (
	`batch_id` integer NOT NULL,
	`row_number` integer NOT NULL,
	`status` text NOT NULL,
	`errors` text,
	`object_id` integer,
	PRIMARY KEY(`batch_id`, `row_number`),
	FOREIGN KEY (`batch_id`) REFERENCES `import_batches`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `member_status_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`member_id` integer NOT NULL,
	`from_status` text,
	`to_status` text NOT NULL,
	`reason` text,
	`actor_user_id` integer,
	`at_ms` integer NOT NULL,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`actor_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `member_status_events_member` ON `member_status_events` (`member_id`,`at_ms`);--> statement-breakpoint
CREATE TABLE `members` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`real_name` text NOT NULL,
	`name_pinyin` text NOT NULL,
	`name_initials` text NOT NULL,
	`phone` text,
	`phone_last4` text,
	`id_number_ciphertext` text NOT NULL,
	`id_number_hmac` text NOT NULL,
	`birth_date` text NOT NULL,
	`gender` text NOT NULL,
	`village_code` text NOT NULL,
	`status` text NOT NULL,
	`status_reason` text,
	`source` text NOT NULL,
	`card_number` text,
	`card_token_hash` text,
	`card_token_ciphertext` text,
	`card_version` integer DEFAULT 0 NOT NULL,
	`card_issued_at_ms` integer,
	`pin_hash` text,
	`pin_set_at_ms` integer,
	`pin_failed_attempts` integer DEFAULT 0 NOT NULL,
	`pin_locked_until_ms` integer,
	`created_by_user_id` integer,
	`import_batch_id` integer,
	`created_at_ms` integer NOT NULL,
	`updated_at_ms` integer NOT NULL,
	FOREIGN KEY (`village_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "members_status_valid" CHECK("members"."status" IN ('active','suspended','pending','rejected')),
	CONSTRAINT "members_gender_valid" CHECK("members"."gender" IN ('male','female')),
	CONSTRAINT "members_source_valid" CHECK("members"."source" IN ('coordinator','self','import')),
	CONSTRAINT "members_pin_attempts_non_negative" CHECK("members"."pin_failed_attempts" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `members_id_hmac_live` ON `members` (`id_number_hmac`) WHERE "members"."status" <> 'rejected';--> statement-breakpoint
CREATE UNIQUE INDEX `members_phone_live` ON `members` (`phone`) WHERE "members"."phone" IS NOT NULL AND "members"."status" <> 'rejected';--> statement-breakpoint
CREATE UNIQUE INDEX `members_card_number` ON `members` (`card_number`) WHERE "members"."card_number" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `members_card_token_hash` ON `members` (`card_token_hash`) WHERE "members"."card_token_hash" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `members_village_status` ON `members` (`village_code`,`status`);--> statement-breakpoint
CREATE INDEX `members_phone_last4` ON `members` (`phone_last4`);--> statement-breakpoint
CREATE INDEX `members_id_hmac` ON `members` (`id_number_hmac`);--> statement-breakpoint
CREATE TABLE `team_activities` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` integer NOT NULL,
	`activity_date` text NOT NULL,
	`place` text NOT NULL,
	`theme` text NOT NULL,
	`created_by_user_id` integer,
	`created_at_ms` integer NOT NULL,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `team_activities_team_date` ON `team_activities` (`team_id`,`activity_date`);--> statement-breakpoint
CREATE TABLE `team_memberships` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`team_id` integer NOT NULL,
	`member_id` integer NOT NULL,
	`status` text NOT NULL,
	`requested_by_user_id` integer,
	`requested_at_ms` integer NOT NULL,
	`decided_by_user_id` integer,
	`decided_at_ms` integer,
	`decision_reason` text,
	FOREIGN KEY (`team_id`) REFERENCES `teams`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`requested_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`decided_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "team_memberships_status_valid" CHECK("team_memberships"."status" IN ('pending','active','declined','left'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `team_memberships_team_member` ON `team_memberships` (`team_id`,`member_id`);--> statement-breakpoint
CREATE INDEX `team_memberships_member` ON `team_memberships` (`member_id`);--> statement-breakpoint
CREATE TABLE `teams` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`sponsor_unit` text NOT NULL,
	`sponsor_kind` text NOT NULL,
	`region_code` text NOT NULL,
	`leader_member_id` integer,
	`created_by_user_id` integer,
	`created_at_ms` integer NOT NULL,
	`updated_at_ms` integer NOT NULL,
	FOREIGN KEY (`region_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`leader_member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "teams_sponsor_kind_valid" CHECK("teams"."sponsor_kind" IN ('member_unit','county_committee'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `teams_region_name` ON `teams` (`region_code`,`name`);--> statement-breakpoint
CREATE INDEX `teams_sponsor` ON `teams` (`sponsor_unit`);