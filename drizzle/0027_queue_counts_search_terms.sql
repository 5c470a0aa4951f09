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
--> statement-breakpoint
-- Issue 16: member search by name, pinyin or initials at 1M members. `LIKE '%…%'` over every member in
-- scope cannot use an index; these keys can (src/db/schema/people.ts, memberSearchTerms): a substring of
-- the name (up to 6 characters) is one key, a substring of a pinyin reading is a prefix of a key, and
-- initials match by prefix. Triggers keep them for every writer (registration, import, a name change,
-- seeding); existing members are backfilled. WITHOUT ROWID: the primary key (term, member_id) is the row.
CREATE TABLE `member_search_terms` (
	`term` text NOT NULL,
	`member_id` integer NOT NULL,
	PRIMARY KEY(`term`, `member_id`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE TABLE `search_positions` (
	`position` integer PRIMARY KEY NOT NULL
);
--> statement-breakpoint
INSERT INTO `search_positions` (`position`)
SELECT a.d * 64 + b.d * 16 + c.d * 4 + e.d + 1
FROM (SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) a,
	(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) b,
	(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) c,
	(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3) e;
--> statement-breakpoint
INSERT OR IGNORE INTO `member_search_terms` (`term`, `member_id`)
	SELECT 'n' || lower(substr(m.`real_name`, a.`position`, b.`position`)), m.`id` FROM `members` m, `search_positions` a, `search_positions` b
		WHERE a.`position` <= length(m.`real_name`) AND b.`position` <= 6 AND a.`position` + b.`position` - 1 <= length(m.`real_name`)
	UNION ALL SELECT 'p' || substr(m.`name_pinyin`, a.`position`, instr(substr(m.`name_pinyin`, a.`position`) || ' ', ' ') - 1), m.`id` FROM `members` m, `search_positions` a
		WHERE a.`position` <= length(m.`name_pinyin`) AND substr(m.`name_pinyin`, a.`position`, 1) <> ' '
	UNION ALL SELECT 'i' || substr(m.`name_initials`, a.`position`, instr(substr(m.`name_initials`, a.`position`) || ' ', ' ') - 1), m.`id` FROM `members` m, `search_positions` a
		WHERE a.`position` <= length(m.`name_initials`) AND substr(m.`name_initials`, a.`position`, 1) <> ' '
		AND (a.`position` = 1 OR substr(m.`name_initials`, a.`position` - 1, 1) = ' ');
--> statement-breakpoint
CREATE TRIGGER `member_search_terms_insert` AFTER INSERT ON `members`
BEGIN
	INSERT OR IGNORE INTO `member_search_terms` (`term`, `member_id`)
	SELECT 'n' || lower(substr(NEW.`real_name`, a.`position`, b.`position`)), NEW.`id` FROM `search_positions` a, `search_positions` b
		WHERE a.`position` <= length(NEW.`real_name`) AND b.`position` <= 6 AND a.`position` + b.`position` - 1 <= length(NEW.`real_name`)
	UNION ALL SELECT 'p' || substr(NEW.`name_pinyin`, a.`position`, instr(substr(NEW.`name_pinyin`, a.`position`) || ' ', ' ') - 1), NEW.`id` FROM `search_positions` a
		WHERE a.`position` <= length(NEW.`name_pinyin`) AND substr(NEW.`name_pinyin`, a.`position`, 1) <> ' '
	UNION ALL SELECT 'i' || substr(NEW.`name_initials`, a.`position`, instr(substr(NEW.`name_initials`, a.`position`) || ' ', ' ') - 1), NEW.`id` FROM `search_positions` a
		WHERE a.`position` <= length(NEW.`name_initials`) AND substr(NEW.`name_initials`, a.`position`, 1) <> ' '
		AND (a.`position` = 1 OR substr(NEW.`name_initials`, a.`position` - 1, 1) = ' ');
END;
--> statement-breakpoint
CREATE TRIGGER `member_search_terms_update` AFTER UPDATE OF `id`, `real_name`, `name_pinyin`, `name_initials` ON `members`
BEGIN
	DELETE FROM `member_search_terms` WHERE (`term`, `member_id`) IN (
	SELECT 'n' || lower(substr(OLD.`real_name`, a.`position`, b.`position`)), OLD.`id` FROM `search_positions` a, `search_positions` b
		WHERE a.`position` <= length(OLD.`real_name`) AND b.`position` <= 6 AND a.`position` + b.`position` - 1 <= length(OLD.`real_name`)
	UNION ALL SELECT 'p' || substr(OLD.`name_pinyin`, a.`position`, instr(substr(OLD.`name_pinyin`, a.`position`) || ' ', ' ') - 1), OLD.`id` FROM `search_positions` a
		WHERE a.`position` <= length(OLD.`name_pinyin`) AND substr(OLD.`name_pinyin`, a.`position`, 1) <> ' '
	UNION ALL SELECT 'i' || substr(OLD.`name_initials`, a.`position`, instr(substr(OLD.`name_initials`, a.`position`) || ' ', ' ') - 1), OLD.`id` FROM `search_positions` a
		WHERE a.`position` <= length(OLD.`name_initials`) AND substr(OLD.`name_initials`, a.`position`, 1) <> ' '
		AND (a.`position` = 1 OR substr(OLD.`name_initials`, a.`position` - 1, 1) = ' '));
	INSERT OR IGNORE INTO `member_search_terms` (`term`, `member_id`)
	SELECT 'n' || lower(substr(NEW.`real_name`, a.`position`, b.`position`)), NEW.`id` FROM `search_positions` a, `search_positions` b
		WHERE a.`position` <= length(NEW.`real_name`) AND b.`position` <= 6 AND a.`position` + b.`position` - 1 <= length(NEW.`real_name`)
	UNION ALL SELECT 'p' || substr(NEW.`name_pinyin`, a.`position`, instr(substr(NEW.`name_pinyin`, a.`position`) || ' ', ' ') - 1), NEW.`id` FROM `search_positions` a
		WHERE a.`position` <= length(NEW.`name_pinyin`) AND substr(NEW.`name_pinyin`, a.`position`, 1) <> ' '
	UNION ALL SELECT 'i' || substr(NEW.`name_initials`, a.`position`, instr(substr(NEW.`name_initials`, a.`position`) || ' ', ' ') - 1), NEW.`id` FROM `search_positions` a
		WHERE a.`position` <= length(NEW.`name_initials`) AND substr(NEW.`name_initials`, a.`position`, 1) <> ' '
		AND (a.`position` = 1 OR substr(NEW.`name_initials`, a.`position` - 1, 1) = ' ');
END;
--> statement-breakpoint
CREATE TRIGGER `member_search_terms_delete` AFTER DELETE ON `members`
BEGIN
	DELETE FROM `member_search_terms` WHERE (`term`, `member_id`) IN (
	SELECT 'n' || lower(substr(OLD.`real_name`, a.`position`, b.`position`)), OLD.`id` FROM `search_positions` a, `search_positions` b
		WHERE a.`position` <= length(OLD.`real_name`) AND b.`position` <= 6 AND a.`position` + b.`position` - 1 <= length(OLD.`real_name`)
	UNION ALL SELECT 'p' || substr(OLD.`name_pinyin`, a.`position`, instr(substr(OLD.`name_pinyin`, a.`position`) || ' ', ' ') - 1), OLD.`id` FROM `search_positions` a
		WHERE a.`position` <= length(OLD.`name_pinyin`) AND substr(OLD.`name_pinyin`, a.`position`, 1) <> ' '
	UNION ALL SELECT 'i' || substr(OLD.`name_initials`, a.`position`, instr(substr(OLD.`name_initials`, a.`position`) || ' ', ' ') - 1), OLD.`id` FROM `search_positions` a
		WHERE a.`position` <= length(OLD.`name_initials`) AND substr(OLD.`name_initials`, a.`position`, 1) <> ' '
		AND (a.`position` = 1 OR substr(OLD.`name_initials`, a.`position` - 1, 1) = ' '));
END;
