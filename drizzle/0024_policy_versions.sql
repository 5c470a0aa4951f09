CREATE TABLE `policy_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`version_number` integer NOT NULL,
	`effective_date` text NOT NULL,
	`rules` text NOT NULL,
	`note` text,
	`published_by_user_id` integer,
	`published_at_ms` integer NOT NULL,
	`withdrawn_by_user_id` integer,
	`withdrawn_at_ms` integer,
	FOREIGN KEY (`published_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`withdrawn_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `policy_versions_number` ON `policy_versions` (`version_number`);--> statement-breakpoint
CREATE UNIQUE INDEX `policy_versions_effective` ON `policy_versions` (`effective_date`) WHERE "policy_versions"."withdrawn_at_ms" IS NULL;--> statement-breakpoint
ALTER TABLE `member_gifts` ADD `policy_version_id` integer;--> statement-breakpoint
ALTER TABLE `redemptions` ADD `policy_version_id` integer;--> statement-breakpoint
ALTER TABLE `service_requests` ADD `policy_version_id` integer;--> statement-breakpoint
ALTER TABLE `service_requests` ADD `payment_policy_version_id` integer;--> statement-breakpoint
-- The undated policy row becomes version 1, in force from a fixed early date (2000-01-01, before any
-- record the network can hold: service dates may be backdated and imports carry old dates), so every
-- decision ever made has a version. A network without the row gets version 1 with the defaults ('{}').
INSERT INTO `policy_versions` (`version_number`, `effective_date`, `rules`, `note`, `published_by_user_id`, `published_at_ms`)
SELECT 1, '2000-01-01', COALESCE((SELECT `value` FROM `settings` WHERE `key` = 'redemption.policy'), '{}'),
       '由原政策设置迁移 Migrated from the undated policy setting',
       (SELECT `updated_by_user_id` FROM `settings` WHERE `key` = 'redemption.policy'),
       COALESCE((SELECT `updated_at_ms` FROM `settings` WHERE `key` = 'redemption.policy'), 0);--> statement-breakpoint
DELETE FROM `settings` WHERE `key` = 'redemption.policy';
