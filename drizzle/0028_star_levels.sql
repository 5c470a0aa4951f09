CREATE TABLE `star_awards` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`member_id` integer NOT NULL,
	`star` integer NOT NULL,
	`status` text NOT NULL,
	`policy_version_id` integer,
	`service_minutes` integer NOT NULL,
	`village_code` text NOT NULL,
	`awarding_region_code` text NOT NULL,
	`proposed_at_ms` integer NOT NULL,
	`notice_working_days` integer,
	`notice_start_date` text,
	`notice_end_date` text,
	`published_by_user_id` integer,
	`published_at_ms` integer,
	`awarded_at_ms` integer,
	`withdrawn_reason` text,
	`withdrawn_by_user_id` integer,
	`withdrawn_at_ms` integer,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`policy_version_id`) REFERENCES `star_policy_versions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`village_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`awarding_region_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`published_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`withdrawn_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "star_awards_star_range" CHECK("star_awards"."star" BETWEEN 1 AND 5),
	CONSTRAINT "star_awards_status_valid" CHECK("star_awards"."status" IN ('proposed','on_notice','awarded','withdrawn'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `star_awards_member_star` ON `star_awards` (`member_id`,`star`);--> statement-breakpoint
CREATE INDEX `star_awards_status_region` ON `star_awards` (`status`,`awarding_region_code`);--> statement-breakpoint
CREATE TABLE `star_objections` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`award_id` integer NOT NULL,
	`reason` text NOT NULL,
	`phone_ciphertext` text NOT NULL,
	`phone_masked` text NOT NULL,
	`address_hash` text NOT NULL,
	`status` text NOT NULL,
	`resolution` text,
	`resolved_by_user_id` integer,
	`resolved_at_ms` integer,
	`created_at_ms` integer NOT NULL,
	FOREIGN KEY (`award_id`) REFERENCES `star_awards`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`resolved_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "star_objections_status_valid" CHECK("star_objections"."status" IN ('open','upheld','dismissed'))
);
--> statement-breakpoint
CREATE INDEX `star_objections_award` ON `star_objections` (`award_id`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `star_objections_address` ON `star_objections` (`address_hash`,`created_at_ms`);--> statement-breakpoint
CREATE TABLE `star_policy_levels` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`version_id` integer NOT NULL,
	`star` integer NOT NULL,
	`min_hours` integer NOT NULL,
	`awarding_level` text NOT NULL,
	FOREIGN KEY (`version_id`) REFERENCES `star_policy_versions`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "star_policy_levels_star_range" CHECK("star_policy_levels"."star" BETWEEN 1 AND 5),
	CONSTRAINT "star_policy_levels_hours_range" CHECK("star_policy_levels"."min_hours" BETWEEN 1 AND 100000),
	CONSTRAINT "star_policy_levels_level_valid" CHECK("star_policy_levels"."awarding_level" IN ('county','city','province'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `star_policy_levels_version_star` ON `star_policy_levels` (`version_id`,`star`);--> statement-breakpoint
CREATE TABLE `star_policy_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`effective_date` text NOT NULL,
	`notice_working_days` integer NOT NULL,
	`note` text,
	`published_by_user_id` integer,
	`published_at_ms` integer NOT NULL,
	FOREIGN KEY (`published_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "star_policy_notice_days_range" CHECK("star_policy_versions"."notice_working_days" BETWEEN 1 AND 30)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `star_policy_versions_effective` ON `star_policy_versions` (`effective_date`);