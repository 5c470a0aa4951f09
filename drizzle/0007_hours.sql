CREATE TABLE `activity_attendance` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` integer NOT NULL,
	`member_id` integer NOT NULL,
	`signed_in_at_ms` integer NOT NULL,
	`signed_out_at_ms` integer,
	`record_id` integer,
	FOREIGN KEY (`session_id`) REFERENCES `activity_sessions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`record_id`) REFERENCES `service_records`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `activity_attendance_session_member` ON `activity_attendance` (`session_id`,`member_id`);--> statement-breakpoint
CREATE TABLE `activity_sessions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`activity_id` integer NOT NULL,
	`service_type_code` text NOT NULL,
	`village_code` text NOT NULL,
	`secret` text NOT NULL,
	`opened_by_user_id` integer NOT NULL,
	`opened_at_ms` integer NOT NULL,
	`closed_by_user_id` integer,
	`closed_at_ms` integer,
	FOREIGN KEY (`activity_id`) REFERENCES `team_activities`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`village_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`opened_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`closed_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `activity_sessions_activity` ON `activity_sessions` (`activity_id`);--> statement-breakpoint
CREATE TABLE `service_records` (
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
	FOREIGN KEY (`volunteer_member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`service_type_id`) REFERENCES `service_types`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`elder_id`) REFERENCES `elders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`village_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`entered_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`activity_id`) REFERENCES `team_activities`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`reviewed_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`reversed_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "service_records_status_valid" CHECK("service_records"."status" IN ('pending','approved','rejected','expired','reversed')),
	CONSTRAINT "service_records_source_valid" CHECK("service_records"."source" IN ('self','coordinator','activity')),
	CONSTRAINT "service_records_times" CHECK("service_records"."end_at_ms" > "service_records"."start_at_ms"),
	CONSTRAINT "service_records_duration_positive" CHECK("service_records"."duration_minutes" > 0 AND "service_records"."credit_minutes" >= 0)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `service_records_idempotency_key` ON `service_records` (`idempotency_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `service_records_hold_transfer` ON `service_records` (`hold_transfer_id`);--> statement-breakpoint
CREATE INDEX `service_records_volunteer_start` ON `service_records` (`volunteer_member_id`,`start_at_ms`);--> statement-breakpoint
CREATE INDEX `service_records_status_created` ON `service_records` (`status`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `service_records_village_status` ON `service_records` (`village_code`,`status`);--> statement-breakpoint
CREATE INDEX `service_records_elder_date` ON `service_records` (`elder_id`,`service_date`);--> statement-breakpoint
CREATE INDEX `service_records_activity` ON `service_records` (`activity_id`);--> statement-breakpoint
CREATE TABLE `service_standard_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`effective_date` text NOT NULL,
	`note` text,
	`published_by_user_id` integer,
	`published_at_ms` integer NOT NULL,
	FOREIGN KEY (`published_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `service_standard_versions_effective` ON `service_standard_versions` (`effective_date`);--> statement-breakpoint
CREATE TABLE `service_types` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`version_id` integer NOT NULL,
	`code` text NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text NOT NULL,
	`category` text NOT NULL,
	`coefficient_milli` integer DEFAULT 1000 NOT NULL,
	`max_minutes` integer NOT NULL,
	`recipient_required` integer NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	FOREIGN KEY (`version_id`) REFERENCES `service_standard_versions`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "service_types_coefficient_range" CHECK("service_types"."coefficient_milli" BETWEEN 1 AND 10000),
	CONSTRAINT "service_types_max_minutes_range" CHECK("service_types"."max_minutes" BETWEEN 1 AND 1440)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `service_types_version_code` ON `service_types` (`version_id`,`code`);