-- Rebuilds redemptions so member_id may be null: a registered elder without a member
-- record pays by voucher at a service station. The migrator runs inside one transaction,
-- where PRAGMA foreign_keys cannot be switched off, so redemption_lines (the only table
-- that refers to redemptions) is rebuilt too, pointing at the new table, and the children
-- are dropped before the parent: no foreign key is ever broken, even for a moment.
CREATE TABLE `__new_redemptions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`idempotency_key` text NOT NULL,
	`site_id` integer NOT NULL,
	`member_id` integer,
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
	`confirmed_with` text,
	`attestation` text,
	FOREIGN KEY (`site_id`) REFERENCES `partner_sites`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`elder_id`) REFERENCES `elders`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`clerk_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`voided_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "redemptions_total_positive" CHECK("__new_redemptions"."total_minutes" > 0),
	CONSTRAINT "redemptions_status_valid" CHECK("__new_redemptions"."status" IN ('held','confirmed','cancelled','expired','voided')),
	CONSTRAINT "redemptions_payer_valid" CHECK("__new_redemptions"."payer" IN ('wallet','voucher')),
	CONSTRAINT "redemptions_payer_known" CHECK("__new_redemptions"."member_id" IS NOT NULL OR ("__new_redemptions"."elder_id" IS NOT NULL AND "__new_redemptions"."payer" = 'voucher')),
	CONSTRAINT "redemptions_confirmed_with_valid" CHECK("__new_redemptions"."confirmed_with" IS NULL OR "__new_redemptions"."confirmed_with" IN ('pin','attested'))
);
--> statement-breakpoint
INSERT INTO `__new_redemptions`("id", "idempotency_key", "site_id", "member_id", "payer", "payer_account_id", "elder_id", "status", "total_minutes", "member_county_code", "site_county_code", "hold_transfer_ids", "void_transfer_ids", "receipt_number", "balance_after_minutes", "clerk_user_id", "created_at_ms", "expires_at_ms", "confirmed_at_ms", "closed_at_ms", "void_reason", "voided_by_user_id") SELECT "id", "idempotency_key", "site_id", "member_id", "payer", "payer_account_id", "elder_id", "status", "total_minutes", "member_county_code", "site_county_code", "hold_transfer_ids", "void_transfer_ids", "receipt_number", "balance_after_minutes", "clerk_user_id", "created_at_ms", "expires_at_ms", "confirmed_at_ms", "closed_at_ms", "void_reason", "voided_by_user_id" FROM `redemptions`;--> statement-breakpoint
CREATE TABLE `__new_redemption_lines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`redemption_id` integer NOT NULL,
	`item_id` integer NOT NULL,
	`name` text NOT NULL,
	`price_minutes` integer NOT NULL,
	`quantity` integer NOT NULL,
	FOREIGN KEY (`redemption_id`) REFERENCES `__new_redemptions`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`item_id`) REFERENCES `site_items`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "redemption_lines_quantity_positive" CHECK("__new_redemption_lines"."quantity" > 0)
);
--> statement-breakpoint
INSERT INTO `__new_redemption_lines`("id", "redemption_id", "item_id", "name", "price_minutes", "quantity") SELECT "id", "redemption_id", "item_id", "name", "price_minutes", "quantity" FROM `redemption_lines`;--> statement-breakpoint
DROP TABLE `redemption_lines`;--> statement-breakpoint
DROP TABLE `redemptions`;--> statement-breakpoint
ALTER TABLE `__new_redemptions` RENAME TO `redemptions`;--> statement-breakpoint
ALTER TABLE `__new_redemption_lines` RENAME TO `redemption_lines`;--> statement-breakpoint
CREATE INDEX `redemption_lines_redemption` ON `redemption_lines` (`redemption_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `redemptions_idempotency` ON `redemptions` (`idempotency_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `redemptions_receipt` ON `redemptions` (`receipt_number`) WHERE "redemptions"."receipt_number" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `redemptions_site` ON `redemptions` (`site_id`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `redemptions_member` ON `redemptions` (`member_id`,`created_at_ms`);--> statement-breakpoint
CREATE INDEX `redemptions_status` ON `redemptions` (`status`,`expires_at_ms`);