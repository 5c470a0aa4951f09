CREATE TABLE `ledger_failed_transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`result` text NOT NULL,
	`timestamp_ms` integer NOT NULL
);
