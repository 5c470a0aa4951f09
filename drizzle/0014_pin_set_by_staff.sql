ALTER TABLE `members` ADD `pin_set_by_staff` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `members` ADD `pin_reset_by_user_id` integer REFERENCES users(id);