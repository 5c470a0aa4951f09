CREATE TABLE `ledger_checkpoint_signatures` (
	`checkpoint_id` integer PRIMARY KEY NOT NULL,
	`payload` text NOT NULL,
	`algorithm` text NOT NULL,
	`public_key` text NOT NULL,
	`signature` text NOT NULL,
	FOREIGN KEY (`checkpoint_id`) REFERENCES `ledger_checkpoints`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TRIGGER `ledger_checkpoint_signatures_no_update` BEFORE UPDATE ON `ledger_checkpoint_signatures`
BEGIN
	SELECT RAISE(ABORT, 'ledger_checkpoint_signatures is insert-only');
END;
--> statement-breakpoint
CREATE TRIGGER `ledger_checkpoint_signatures_no_delete` BEFORE DELETE ON `ledger_checkpoint_signatures`
BEGIN
	SELECT RAISE(ABORT, 'ledger_checkpoint_signatures is insert-only');
END;
