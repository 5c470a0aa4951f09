CREATE TABLE `clearing_settlements` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`idempotency_key` text NOT NULL,
	`from_county_code` text NOT NULL,
	`to_county_code` text NOT NULL,
	`amount_minutes` integer NOT NULL,
	`note` text NOT NULL,
	`transfer_id` text NOT NULL,
	`recorded_by_user_id` integer,
	`at_ms` integer NOT NULL,
	FOREIGN KEY (`recorded_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "clearing_settlements_amount_positive" CHECK("clearing_settlements"."amount_minutes" > 0),
	CONSTRAINT "clearing_settlements_counties_differ" CHECK("clearing_settlements"."from_county_code" <> "clearing_settlements"."to_county_code")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `clearing_settlements_idempotency` ON `clearing_settlements` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `clearing_settlements_at` ON `clearing_settlements` (`at_ms`);--> statement-breakpoint
CREATE TABLE `member_gifts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`idempotency_key` text NOT NULL,
	`kind` text NOT NULL,
	`from_member_id` integer NOT NULL,
	`to_member_id` integer,
	`pool_county_code` text,
	`amount_minutes` integer NOT NULL,
	`diverted_minutes` integer DEFAULT 0 NOT NULL,
	`transfer_ids` text NOT NULL,
	`actor_user_id` integer,
	`at_ms` integer NOT NULL,
	FOREIGN KEY (`from_member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`actor_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "member_gifts_amount_positive" CHECK("member_gifts"."amount_minutes" > 0),
	CONSTRAINT "member_gifts_kind_valid" CHECK("member_gifts"."kind" IN ('gift','donation'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `member_gifts_idempotency` ON `member_gifts` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `member_gifts_from` ON `member_gifts` (`from_member_id`,`at_ms`);--> statement-breakpoint
CREATE INDEX `member_gifts_to` ON `member_gifts` (`to_member_id`,`at_ms`);--> statement-breakpoint
CREATE TABLE `member_relatives` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`member_id` integer NOT NULL,
	`relative_member_id` integer NOT NULL,
	`relation` text NOT NULL,
	`registered_by_user_id` integer,
	`registered_at_ms` integer NOT NULL,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`relative_member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`registered_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "member_relatives_not_self" CHECK("member_relatives"."member_id" <> "member_relatives"."relative_member_id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `member_relatives_pair` ON `member_relatives` (`member_id`,`relative_member_id`);--> statement-breakpoint
CREATE INDEX `member_relatives_relative` ON `member_relatives` (`relative_member_id`);--> statement-breakpoint
CREATE TABLE `partner_sites` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`village_code` text NOT NULL,
	`county_code` text NOT NULL,
	`address` text NOT NULL,
	`opening_hours` text NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`idempotency_key` text,
	`created_by_user_id` integer,
	`created_at_ms` integer NOT NULL,
	FOREIGN KEY (`village_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "partner_sites_kind_valid" CHECK("partner_sites"."kind" IN ('love_supermarket','service_station','canteen','other'))
);
--> statement-breakpoint
CREATE INDEX `partner_sites_county` ON `partner_sites` (`county_code`,`village_code`);--> statement-breakpoint
CREATE UNIQUE INDEX `partner_sites_idempotency` ON `partner_sites` (`idempotency_key`) WHERE "partner_sites"."idempotency_key" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `redemption_lines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`redemption_id` integer NOT NULL,
	`item_id` integer NOT NULL,
	`name` text NOT NULL,
	`price_minutes` integer NOT NULL,
	`quantity` integer NOT NULL,
	FOREIGN KEY (`redemption_id`) REFERENCES `redemptions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`item_id`) REFERENCES `site_items`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "redemption_lines_quantity_positive" CHECK("redemption_lines"."quantity" > 0)
);
--> statement-breakpoint
CREATE INDEX `redemption_lines_redemption` ON `redemption_lines` (`redemption_id`);--> statement-breakpoint
CREATE TABLE `redemptions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`idempotency_key` text NOT NULL,
	`site_id` integer NOT NULL,
	`member_id` integer NOT NULL,
	`payer` text NOT NULL,
	`payer_account_id` text NOT NULL,
	`elder_id` integer,
	`status` text NOT NULL,
	`total_minutes` integer NOT NULL,
	`member_county_code` text NOT NULL,
	`site_county_code` text NOT NULL,
	`hold_transfer_ids` text NOT NULL,
	`void_transfer_ids` text,
	`receipt_number` text,
	`balance_after_minutes` integer,
	`clerk_user_id` integer,
	`created_at_ms` integer NOT NULL,
	`expires_at_ms` integer NOT NULL,
	`confirmed_at_ms` integer,
	`closed_at_ms` integer,
	`void_reason` text,
	`voided_by_user_id` integer,
	FOREIGN KEY (`site_id`) REFERENCES `partner_sites`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`elder_id`) REFERENCES `elders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`clerk_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`voided_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "redemptions_total_positive" CHECK("redemptions"."total_minutes" > 0),
	CONSTRAINT "redemptions_status_valid" CHECK("redemptions"."status" IN ('held','confirmed','cancelled','expired','voided')),
	CONSTRAINT "redemptions_payer_valid" CHECK("redemptions"."payer" IN ('wallet','voucher'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `redemptions_idempotency` ON `redemptions` (`idempotency_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `redemptions_receipt` ON `redemptions` (`receipt_number`) WHERE "redemptions"."receipt_number" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `redemptions_site` ON `redemptions` (`site_id`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `redemptions_member` ON `redemptions` (`member_id`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `redemptions_status` ON `redemptions` (`status`,`expires_at_ms`);--> statement-breakpoint
CREATE TABLE `service_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`idempotency_key` text NOT NULL,
	`requester_member_id` integer,
	`elder_id` integer,
	`payer` text NOT NULL,
	`payer_account_id` text NOT NULL,
	`village_code` text NOT NULL,
	`county_code` text NOT NULL,
	`service_category` text NOT NULL,
	`description` text NOT NULL,
	`scheduled_for` text NOT NULL,
	`place` text NOT NULL,
	`offered_minutes` integer NOT NULL,
	`status` text NOT NULL,
	`volunteer_member_id` integer,
	`hold_transfer_id` text NOT NULL,
	`payment_transfer_ids` text,
	`created_by_user_id` integer,
	`created_at_ms` integer NOT NULL,
	`accepted_at_ms` integer,
	`closed_at_ms` integer,
	`closed_by_user_id` integer,
	FOREIGN KEY (`requester_member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`elder_id`) REFERENCES `elders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`village_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`volunteer_member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`closed_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "service_requests_offered_positive" CHECK("service_requests"."offered_minutes" > 0),
	CONSTRAINT "service_requests_status_valid" CHECK("service_requests"."status" IN ('open','accepted','completed','cancelled')),
	CONSTRAINT "service_requests_payer_valid" CHECK("service_requests"."payer" IN ('wallet','pool','voucher'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `service_requests_idempotency` ON `service_requests` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `service_requests_area` ON `service_requests` (`county_code`,`status`,`village_code`);--> statement-breakpoint
CREATE INDEX `service_requests_volunteer` ON `service_requests` (`volunteer_member_id`);--> statement-breakpoint
CREATE TABLE `site_items` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`site_id` integer NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`price_minutes` integer NOT NULL,
	`stock` integer,
	`reserved` integer DEFAULT 0 NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`created_at_ms` integer NOT NULL,
	`updated_at_ms` integer NOT NULL,
	FOREIGN KEY (`site_id`) REFERENCES `partner_sites`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "site_items_price_positive" CHECK("site_items"."price_minutes" > 0),
	CONSTRAINT "site_items_stock_valid" CHECK("site_items"."stock" IS NULL OR ("site_items"."stock" >= 0 AND "site_items"."reserved" <= "site_items"."stock")),
	CONSTRAINT "site_items_reserved_non_negative" CHECK("site_items"."reserved" >= 0),
	CONSTRAINT "site_items_kind_valid" CHECK("site_items"."kind" IN ('goods','service'))
);
--> statement-breakpoint
CREATE INDEX `site_items_site` ON `site_items` (`site_id`,`active`);--> statement-breakpoint
CREATE TABLE `stock_movements` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`item_id` integer NOT NULL,
	`site_id` integer NOT NULL,
	`kind` text NOT NULL,
	`quantity_delta` integer NOT NULL,
	`stock_after` integer NOT NULL,
	`reason` text,
	`redemption_id` integer,
	`actor_user_id` integer,
	`idempotency_key` text,
	`at_ms` integer NOT NULL,
	FOREIGN KEY (`item_id`) REFERENCES `site_items`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`site_id`) REFERENCES `partner_sites`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`actor_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "stock_movements_kind_valid" CHECK("stock_movements"."kind" IN ('receive','correct','sale','void_return'))
);
--> statement-breakpoint
CREATE INDEX `stock_movements_item` ON `stock_movements` (`item_id`,`at_ms`);--> statement-breakpoint
CREATE UNIQUE INDEX `stock_movements_idempotency` ON `stock_movements` (`idempotency_key`) WHERE "stock_movements"."idempotency_key" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `voucher_grant_lines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`grant_id` integer NOT NULL,
	`elder_id` integer NOT NULL,
	`transfer_id` text NOT NULL,
	FOREIGN KEY (`grant_id`) REFERENCES `voucher_grants`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`elder_id`) REFERENCES `elders`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `voucher_grant_lines_grant_elder` ON `voucher_grant_lines` (`grant_id`,`elder_id`);--> statement-breakpoint
CREATE INDEX `voucher_grant_lines_elder` ON `voucher_grant_lines` (`elder_id`);--> statement-breakpoint
CREATE TABLE `voucher_grants` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`idempotency_key` text NOT NULL,
	`source` text NOT NULL,
	`county_code` text NOT NULL,
	`region_code` text NOT NULL,
	`category` text,
	`elder_id` integer,
	`amount_per_elder_minutes` integer NOT NULL,
	`elder_count` integer NOT NULL,
	`reason` text NOT NULL,
	`granted_by_user_id` integer,
	`at_ms` integer NOT NULL,
	FOREIGN KEY (`elder_id`) REFERENCES `elders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`granted_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "voucher_grants_amount_positive" CHECK("voucher_grants"."amount_per_elder_minutes" > 0),
	CONSTRAINT "voucher_grants_source_valid" CHECK("voucher_grants"."source" IN ('issuance','pool'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `voucher_grants_idempotency` ON `voucher_grants` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `voucher_grants_county` ON `voucher_grants` (`county_code`,`at_ms`);