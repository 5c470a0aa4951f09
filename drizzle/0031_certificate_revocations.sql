CREATE TABLE `certificate_revocations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`certificate_id` integer NOT NULL,
	`number` text NOT NULL,
	`reason` text NOT NULL,
	`revoked_by_user_id` integer NOT NULL,
	`revoked_at_ms` integer NOT NULL,
	`algorithm` text NOT NULL,
	`public_key` text NOT NULL,
	`signature` text NOT NULL,
	FOREIGN KEY (`certificate_id`) REFERENCES `certificates`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`revoked_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `certificate_revocations_certificate` ON `certificate_revocations` (`certificate_id`);