CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at_ms` integer NOT NULL,
	`actor_user_id` integer,
	`action` text NOT NULL,
	`object_type` text,
	`object_id` text,
	`region_code` text,
	`ip_address` text,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `audit_log_region_at` ON `audit_log` (`region_code`,`at_ms`);--> statement-breakpoint
CREATE INDEX `audit_log_at` ON `audit_log` (`at_ms`);--> statement-breakpoint
CREATE TABLE `refresh_tokens` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`family_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`expires_at_ms` integer NOT NULL,
	`used_at_ms` integer,
	`revoked_at_ms` integer,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `refresh_tokens_hash` ON `refresh_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_family` ON `refresh_tokens` (`family_id`);--> statement-breakpoint
CREATE INDEX `refresh_tokens_user` ON `refresh_tokens` (`user_id`);--> statement-breakpoint
CREATE TABLE `regions` (
	`code` text PRIMARY KEY NOT NULL,
	`parent_code` text,
	`level` text NOT NULL,
	`name_zh` text NOT NULL,
	`name_en` text,
	`rural` integer,
	`path` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	CONSTRAINT "regions_level_valid" CHECK("regions"."level" IN ('province','city','county','township','village'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `regions_path` ON `regions` (`path`);--> statement-breakpoint
CREATE INDEX `regions_parent` ON `regions` (`parent_code`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at_ms` integer NOT NULL,
	`updated_by_user_id` integer
);
--> statement-breakpoint
CREATE TABLE `user_roles` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` integer NOT NULL,
	`role` text NOT NULL,
	`region_code` text,
	`site_id` integer,
	`granted_by_user_id` integer,
	`granted_at_ms` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`region_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "user_roles_role_valid" CHECK("user_roles"."role" IN ('volunteer','coordinator','clerk','office','admin')),
	CONSTRAINT "user_roles_scope_present" CHECK("user_roles"."region_code" IS NOT NULL OR "user_roles"."site_id" IS NOT NULL)
);
--> statement-breakpoint
CREATE INDEX `user_roles_user` ON `user_roles` (`user_id`);--> statement-breakpoint
CREATE TABLE `users` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`phone` text NOT NULL,
	`display_name` text NOT NULL,
	`password_hash` text NOT NULL,
	`must_change_password` integer DEFAULT false NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`member_id` integer,
	`created_at_ms` integer NOT NULL,
	`password_changed_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_phone` ON `users` (`phone`);--> statement-breakpoint
CREATE INDEX `users_member` ON `users` (`member_id`);