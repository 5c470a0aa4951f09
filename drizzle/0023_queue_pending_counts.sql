-- Issue 16: the verification queue's total at 100,000 pending records. The number of records waiting
-- for review per village, kept by triggers whatever writes service_records (a review, the expiry job,
-- a reversal, an import), so the queue sums one row per village in scope instead of counting every
-- pending record. Backfilled from the records already there.
CREATE TABLE `pending_record_counts` (
	`village_code` text PRIMARY KEY NOT NULL,
	`records` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `pending_record_counts` (`village_code`, `records`)
SELECT `village_code`, count(*) FROM `service_records` WHERE `status` = 'pending' GROUP BY `village_code`;
--> statement-breakpoint
CREATE TRIGGER `pending_record_counts_insert` AFTER INSERT ON `service_records`
WHEN NEW.`status` = 'pending'
BEGIN
	INSERT INTO `pending_record_counts` (`village_code`, `records`) VALUES (NEW.`village_code`, 1)
	ON CONFLICT (`village_code`) DO UPDATE SET `records` = `records` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `pending_record_counts_leave` AFTER UPDATE OF `status`, `village_code` ON `service_records`
WHEN OLD.`status` = 'pending' AND (NEW.`status` <> 'pending' OR NEW.`village_code` <> OLD.`village_code`)
BEGIN
	UPDATE `pending_record_counts` SET `records` = `records` - 1 WHERE `village_code` = OLD.`village_code`;
END;
--> statement-breakpoint
CREATE TRIGGER `pending_record_counts_enter` AFTER UPDATE OF `status`, `village_code` ON `service_records`
WHEN NEW.`status` = 'pending' AND (OLD.`status` <> 'pending' OR NEW.`village_code` <> OLD.`village_code`)
BEGIN
	INSERT INTO `pending_record_counts` (`village_code`, `records`) VALUES (NEW.`village_code`, 1)
	ON CONFLICT (`village_code`) DO UPDATE SET `records` = `records` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `pending_record_counts_delete` AFTER DELETE ON `service_records`
WHEN OLD.`status` = 'pending'
BEGIN
	UPDATE `pending_record_counts` SET `records` = `records` - 1 WHERE `village_code` = OLD.`village_code`;
END;
