CREATE TABLE `fund_entries` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`scope` text NOT NULL,
	`kind` text NOT NULL,
	`amount_fen` integer NOT NULL,
	`source` text NOT NULL,
	`note` text DEFAULT '' NOT NULL,
	`transfer_id` text NOT NULL,
	`created_at_ms` integer NOT NULL,
	`created_by_user_id` integer NOT NULL,
	CONSTRAINT "fund_entries_amount_positive" CHECK("fund_entries"."amount_fen" > 0)
);
--> statement-breakpoint
CREATE INDEX `fund_entries_scope` ON `fund_entries` (`scope`,`id`);--> statement-breakpoint
CREATE TABLE `fund_valuation_rates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`effective_from` text NOT NULL,
	`fen_per_hour` integer NOT NULL,
	`created_at_ms` integer NOT NULL,
	`created_by_user_id` integer NOT NULL,
	CONSTRAINT "fund_valuation_rates_positive" CHECK("fund_valuation_rates"."fen_per_hour" > 0)
);
--> statement-breakpoint
CREATE INDEX `fund_valuation_rates_from` ON `fund_valuation_rates` (`effective_from`,`id`);--> statement-breakpoint
ALTER TABLE `ledger_accounts` ADD `ledger` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `ledger_transfers` ADD `ledger` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX `report_figures_region_metric_month` ON `report_figures` (`region_code`,`metric`,`month`);