-- At most one open (held) basket per member, and per elder paying by voucher without a member
-- record: a clerk cannot tie up a member's credits with several holds (issue 12, consent).
-- placeBasket checks first inside its IMMEDIATE transaction and names the site holding the open
-- basket; these triggers make the rule hold in the database whatever writes. Triggers rather than a
-- partial unique index, so the migration never fails on baskets already open when it runs.
CREATE TRIGGER `redemptions_one_held_per_member` BEFORE INSERT ON `redemptions`
WHEN NEW.`status` = 'held' AND NEW.`member_id` IS NOT NULL
  AND EXISTS (SELECT 1 FROM `redemptions` WHERE `member_id` = NEW.`member_id` AND `status` = 'held')
BEGIN
	SELECT RAISE(ABORT, 'redemptions: this member already has an open basket');
END;
--> statement-breakpoint
CREATE TRIGGER `redemptions_one_held_per_elder` BEFORE INSERT ON `redemptions`
WHEN NEW.`status` = 'held' AND NEW.`member_id` IS NULL AND NEW.`elder_id` IS NOT NULL
  AND EXISTS (SELECT 1 FROM `redemptions` WHERE `member_id` IS NULL AND `elder_id` = NEW.`elder_id` AND `status` = 'held')
BEGIN
	SELECT RAISE(ABORT, 'redemptions: this elder already has an open basket');
END;
