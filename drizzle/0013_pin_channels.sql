ALTER TABLE `members` ADD `pin_remote_failed_attempts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `members` ADD `pin_remote_locked_until_ms` integer;