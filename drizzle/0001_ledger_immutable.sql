-- Ledger history is insert-only: a mistake is corrected by a new transfer.
CREATE TRIGGER `ledger_transfers_no_update` BEFORE UPDATE ON `ledger_transfers`
BEGIN
	SELECT RAISE(ABORT, 'ledger_transfers is insert-only');
END;
--> statement-breakpoint
CREATE TRIGGER `ledger_transfers_no_delete` BEFORE DELETE ON `ledger_transfers`
BEGIN
	SELECT RAISE(ABORT, 'ledger_transfers is insert-only');
END;
--> statement-breakpoint
CREATE TRIGGER `ledger_checkpoints_no_update` BEFORE UPDATE ON `ledger_checkpoints`
BEGIN
	SELECT RAISE(ABORT, 'ledger_checkpoints is insert-only');
END;
--> statement-breakpoint
CREATE TRIGGER `ledger_checkpoints_no_delete` BEFORE DELETE ON `ledger_checkpoints`
BEGIN
	SELECT RAISE(ABORT, 'ledger_checkpoints is insert-only');
END;
