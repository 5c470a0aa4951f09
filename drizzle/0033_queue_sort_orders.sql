-- Issue 16: every order of the verification queue < 20 ms a page at 100,000 pending records. Each sortable
-- column of service_records gets an index in that order (record id and village
-- last, so a page and its scope check come from the index alone); the volunteer's name lives in members, so
-- the volunteers with pending records are kept, with their names, in pending_volunteers (triggers below),
-- which the queue walks in name order.
CREATE TABLE `pending_volunteers` (
	`member_id` integer PRIMARY KEY NOT NULL,
	`name_pinyin` text NOT NULL,
	`real_name` text NOT NULL,
	`records` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `pending_volunteers_name` ON `pending_volunteers` (`name_pinyin`,`real_name`);--> statement-breakpoint
CREATE INDEX `service_records_status_date_village` ON `service_records` (`status`,`service_date`,`start_at_ms`,`id`,`village_code`);--> statement-breakpoint
CREATE INDEX `service_records_status_minutes_village` ON `service_records` (`status`,`duration_minutes`,`id`,`village_code`);--> statement-breakpoint
CREATE INDEX `service_records_pending_type` ON `service_records` (`service_type_id`,`id`,`village_code`) WHERE "service_records"."status" = 'pending';--> statement-breakpoint
CREATE INDEX `service_records_pending_volunteer` ON `service_records` (`volunteer_member_id`,`id`,`village_code`) WHERE "service_records"."status" = 'pending';--> statement-breakpoint
CREATE INDEX `service_types_name` ON `service_types` (`name_zh`,`code`);--> statement-breakpoint
INSERT INTO `pending_volunteers` (`member_id`, `name_pinyin`, `real_name`, `records`)
SELECT m.`id`, m.`name_pinyin`, m.`real_name`, count(*) FROM `service_records` r JOIN `members` m ON m.`id` = r.`volunteer_member_id`
WHERE r.`status` = 'pending' GROUP BY m.`id`;
--> statement-breakpoint
CREATE TRIGGER `pending_volunteers_insert` AFTER INSERT ON `service_records`
WHEN NEW.`status` = 'pending'
BEGIN
	INSERT INTO `pending_volunteers` (`member_id`, `name_pinyin`, `real_name`, `records`)
	SELECT `id`, `name_pinyin`, `real_name`, 1 FROM `members` WHERE `id` = NEW.`volunteer_member_id`
	ON CONFLICT (`member_id`) DO UPDATE SET `records` = `records` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `pending_volunteers_leave` AFTER UPDATE OF `status`, `volunteer_member_id` ON `service_records`
WHEN OLD.`status` = 'pending' AND (NEW.`status` <> 'pending' OR NEW.`volunteer_member_id` <> OLD.`volunteer_member_id`)
BEGIN
	UPDATE `pending_volunteers` SET `records` = `records` - 1 WHERE `member_id` = OLD.`volunteer_member_id`;
	DELETE FROM `pending_volunteers` WHERE `member_id` = OLD.`volunteer_member_id` AND `records` <= 0;
END;
--> statement-breakpoint
CREATE TRIGGER `pending_volunteers_enter` AFTER UPDATE OF `status`, `volunteer_member_id` ON `service_records`
WHEN NEW.`status` = 'pending' AND (OLD.`status` <> 'pending' OR NEW.`volunteer_member_id` <> OLD.`volunteer_member_id`)
BEGIN
	INSERT INTO `pending_volunteers` (`member_id`, `name_pinyin`, `real_name`, `records`)
	SELECT `id`, `name_pinyin`, `real_name`, 1 FROM `members` WHERE `id` = NEW.`volunteer_member_id`
	ON CONFLICT (`member_id`) DO UPDATE SET `records` = `records` + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `pending_volunteers_delete` AFTER DELETE ON `service_records`
WHEN OLD.`status` = 'pending'
BEGIN
	UPDATE `pending_volunteers` SET `records` = `records` - 1 WHERE `member_id` = OLD.`volunteer_member_id`;
	DELETE FROM `pending_volunteers` WHERE `member_id` = OLD.`volunteer_member_id` AND `records` <= 0;
END;
--> statement-breakpoint
CREATE TRIGGER `pending_volunteers_rename` AFTER UPDATE OF `name_pinyin`, `real_name` ON `members`
BEGIN
	UPDATE `pending_volunteers` SET `name_pinyin` = NEW.`name_pinyin`, `real_name` = NEW.`real_name` WHERE `member_id` = NEW.`id`;
END;
