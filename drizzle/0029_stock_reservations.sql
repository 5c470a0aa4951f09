CREATE TABLE `stock_reservations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`site_id` integer NOT NULL,
	`item_id` integer NOT NULL,
	`elder_id` integer NOT NULL,
	`status` text DEFAULT 'waiting' NOT NULL,
	`redemption_id` integer,
	`created_by_user_id` integer NOT NULL,
	`created_at_ms` integer NOT NULL,
	`fulfilled_at_ms` integer,
	FOREIGN KEY (`site_id`) REFERENCES `partner_sites`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`item_id`) REFERENCES `site_items`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`elder_id`) REFERENCES `elders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`redemption_id`) REFERENCES `redemptions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "stock_reservations_status" CHECK("stock_reservations"."status" IN ('waiting', 'held', 'fulfilled', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX `stock_reservations_item` ON `stock_reservations` (`item_id`,`status`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `stock_reservations_open` ON `stock_reservations` (`item_id`,`elder_id`) WHERE "stock_reservations"."status" IN ('waiting', 'held');