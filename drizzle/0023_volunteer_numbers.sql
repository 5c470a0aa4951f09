ALTER TABLE `members` ADD `volunteer_number` text;--> statement-breakpoint
-- Every member registered before volunteer numbers gets one (src/domain/people/members/volunteer-number.ts):
-- 'YL', the county of the home village, a 7-digit sequence within the county in order of member id, and the
-- ISO 7064 MOD 11-2 check character over those 13 digits (weights 2^k mod 11, characters '10X98765432').
UPDATE `members` SET `volunteer_number` = 'YL' || numbered.body
  || substr('10X98765432', ((substr(numbered.body, 1, 1) * 8 + substr(numbered.body, 2, 1) * 4 + substr(numbered.body, 3, 1) * 2 + substr(numbered.body, 4, 1) * 1 + substr(numbered.body, 5, 1) * 6 + substr(numbered.body, 6, 1) * 3 + substr(numbered.body, 7, 1) * 7 + substr(numbered.body, 8, 1) * 9 + substr(numbered.body, 9, 1) * 10 + substr(numbered.body, 10, 1) * 5 + substr(numbered.body, 11, 1) * 8 + substr(numbered.body, 12, 1) * 4 + substr(numbered.body, 13, 1) * 2) % 11) + 1, 1)
FROM (
  SELECT id, substr(village_code, 1, 6) || printf('%07d', row_number() OVER (PARTITION BY substr(village_code, 1, 6) ORDER BY id)) AS body
  FROM `members`
) AS numbered
WHERE numbered.id = `members`.`id`;--> statement-breakpoint
CREATE UNIQUE INDEX `members_volunteer_number` ON `members` (`volunteer_number`);