CREATE TABLE `ledger_accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`owner_ref` text NOT NULL,
	`flags` integer DEFAULT 0 NOT NULL,
	`debits_pending` integer DEFAULT 0 NOT NULL,
	`debits_posted` integer DEFAULT 0 NOT NULL,
	`credits_pending` integer DEFAULT 0 NOT NULL,
	`credits_posted` integer DEFAULT 0 NOT NULL,
	`timestamp_ms` integer NOT NULL,
	CONSTRAINT "ledger_accounts_totals_non_negative" CHECK("ledger_accounts"."debits_pending" >= 0 AND "ledger_accounts"."debits_posted" >= 0 AND "ledger_accounts"."credits_pending" >= 0 AND "ledger_accounts"."credits_posted" >= 0),
	CONSTRAINT "ledger_accounts_debits_within_credits" CHECK(("ledger_accounts"."flags" & 2) = 0 OR "ledger_accounts"."debits_pending" + "ledger_accounts"."debits_posted" <= "ledger_accounts"."credits_posted"),
	CONSTRAINT "ledger_accounts_credits_within_debits" CHECK(("ledger_accounts"."flags" & 4) = 0 OR "ledger_accounts"."credits_pending" + "ledger_accounts"."credits_posted" <= "ledger_accounts"."debits_posted")
) WITHOUT ROWID;
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_accounts_kind_owner` ON `ledger_accounts` (`kind`,`owner_ref`);--> statement-breakpoint
CREATE TABLE `ledger_checkpoints` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`seq` integer NOT NULL,
	`hash` text NOT NULL,
	`transfer_count` integer NOT NULL,
	`account_count` integer NOT NULL,
	`timestamp_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `ledger_pending_open` (
	`seq` integer PRIMARY KEY NOT NULL,
	`expires_at_ms` integer
);
--> statement-breakpoint
CREATE INDEX `ledger_pending_open_expires` ON `ledger_pending_open` (`expires_at_ms`);--> statement-breakpoint
CREATE TABLE `ledger_transfers` (
	`seq` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`debit_account_id` text NOT NULL,
	`credit_account_id` text NOT NULL,
	`amount` integer NOT NULL,
	`code` text NOT NULL,
	`flags` integer DEFAULT 0 NOT NULL,
	`pending_id` text,
	`timeout_seconds` integer DEFAULT 0 NOT NULL,
	`ref_type` text,
	`ref_id` text,
	`timestamp_ms` integer NOT NULL,
	`debit_debits_pending_after` integer NOT NULL,
	`debit_debits_posted_after` integer NOT NULL,
	`debit_credits_pending_after` integer NOT NULL,
	`debit_credits_posted_after` integer NOT NULL,
	`credit_debits_pending_after` integer NOT NULL,
	`credit_debits_posted_after` integer NOT NULL,
	`credit_credits_pending_after` integer NOT NULL,
	`credit_credits_posted_after` integer NOT NULL,
	`previous_hash` text NOT NULL,
	`hash` text NOT NULL,
	CONSTRAINT "ledger_transfers_amount_positive" CHECK("ledger_transfers"."amount" > 0),
	CONSTRAINT "ledger_transfers_accounts_different" CHECK("ledger_transfers"."debit_account_id" <> "ledger_transfers"."credit_account_id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_transfers_id` ON `ledger_transfers` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `ledger_transfers_pending_id` ON `ledger_transfers` (`pending_id`) WHERE "ledger_transfers"."pending_id" IS NOT NULL;--> statement-breakpoint
CREATE INDEX `ledger_transfers_debit_seq` ON `ledger_transfers` (`debit_account_id`,`seq`);--> statement-breakpoint
CREATE INDEX `ledger_transfers_credit_seq` ON `ledger_transfers` (`credit_account_id`,`seq`);