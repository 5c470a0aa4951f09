ALTER TABLE `ledger_accounts` ADD `ledger` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `ledger_transfers` ADD `ledger` integer DEFAULT 1 NOT NULL;