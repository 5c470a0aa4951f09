CREATE TABLE `ledger_public_chain` (
	`seq` integer PRIMARY KEY NOT NULL,
	`debit_side` text NOT NULL,
	`credit_side` text NOT NULL,
	`salt` text NOT NULL,
	`public_hash` text NOT NULL,
	FOREIGN KEY (`seq`) REFERENCES `ledger_transfers`(`seq`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TRIGGER `ledger_public_chain_no_update` BEFORE UPDATE ON `ledger_public_chain`
BEGIN
	SELECT RAISE(ABORT, 'ledger_public_chain is insert-only');
END;
--> statement-breakpoint
CREATE TRIGGER `ledger_public_chain_no_delete` BEFORE DELETE ON `ledger_public_chain`
BEGIN
	SELECT RAISE(ABORT, 'ledger_public_chain is insert-only');
END;
