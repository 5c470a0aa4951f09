-- Relations get a kind chosen from a fixed list (the gift rules decide by it, never by the typed words).
-- Existing rows are classified by the words the rule read until now, in the same order (collateral and
-- in-law words first), so no existing pair changes whether it counts as spouse or lineal.
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_member_relatives` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`member_id` integer NOT NULL,
	`relative_member_id` integer NOT NULL,
	`relation` text NOT NULL,
	`kind` text DEFAULT 'other' NOT NULL,
	`registered_by_user_id` integer,
	`registered_at_ms` integer NOT NULL,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`relative_member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`registered_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "member_relatives_not_self" CHECK("__new_member_relatives"."member_id" <> "__new_member_relatives"."relative_member_id"),
	CONSTRAINT "member_relatives_kind" CHECK("__new_member_relatives"."kind" IN ('spouse', 'parent_child', 'grandparent_grandchild', 'sibling', 'in_law', 'other'))
);
--> statement-breakpoint
INSERT INTO `__new_member_relatives`("id", "member_id", "relative_member_id", "relation", "kind", "registered_by_user_id", "registered_at_ms") SELECT "id", "member_id", "relative_member_id", "relation", CASE WHEN "relation" LIKE '%媳%' OR "relation" LIKE '%婿%' OR "relation" LIKE '%嫂%' OR "relation" LIKE '%岳%' OR "relation" LIKE '%公公%' OR "relation" LIKE '%婆婆%' OR "relation" LIKE '%姐夫%' OR "relation" LIKE '%妹夫%' THEN 'in_law' WHEN "relation" LIKE '%叔%' OR "relation" LIKE '%伯%' OR "relation" LIKE '%姑%' OR "relation" LIKE '%舅%' OR "relation" LIKE '%姨%' OR "relation" LIKE '%侄%' OR "relation" LIKE '%甥%' OR "relation" LIKE '%表%' OR "relation" LIKE '%堂%' THEN 'other' WHEN "relation" LIKE '%兄%' OR "relation" LIKE '%弟%' OR "relation" LIKE '%姐%' OR "relation" LIKE '%妹%' THEN 'sibling' WHEN "relation" LIKE '%夫%' OR "relation" LIKE '%妻%' OR "relation" LIKE '%配偶%' OR "relation" LIKE '%老伴%' THEN 'spouse' WHEN "relation" LIKE '%爷%' OR "relation" LIKE '%奶%' OR "relation" LIKE '%孙%' OR "relation" LIKE '%祖%' OR "relation" LIKE '%外公%' OR "relation" LIKE '%外婆%' THEN 'grandparent_grandchild' WHEN "relation" LIKE '%父%' OR "relation" LIKE '%母%' OR "relation" LIKE '%爸%' OR "relation" LIKE '%妈%' OR "relation" LIKE '%子%' OR "relation" LIKE '%女%' OR "relation" LIKE '%儿%' THEN 'parent_child' ELSE 'other' END, "registered_by_user_id", "registered_at_ms" FROM `member_relatives`;--> statement-breakpoint
DROP TABLE `member_relatives`;--> statement-breakpoint
ALTER TABLE `__new_member_relatives` RENAME TO `member_relatives`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `member_relatives_pair` ON `member_relatives` (`member_id`,`relative_member_id`);--> statement-breakpoint
CREATE INDEX `member_relatives_relative` ON `member_relatives` (`relative_member_id`);