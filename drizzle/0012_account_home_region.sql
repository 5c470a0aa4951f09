ALTER TABLE `users` ADD `home_region_code` text REFERENCES regions(code);--> statement-breakpoint
CREATE INDEX `users_home_region` ON `users` (`home_region_code`);--> statement-breakpoint
-- Existing accounts: the member's village, else the region of the first region role, else the village of the first site role.
UPDATE `users` SET `home_region_code` = COALESCE(
  (SELECT m.village_code FROM members m WHERE m.id = users.member_id),
  (SELECT ur.region_code FROM user_roles ur WHERE ur.user_id = users.id AND ur.region_code IS NOT NULL ORDER BY ur.id LIMIT 1),
  (SELECT s.village_code FROM user_roles ur JOIN partner_sites s ON s.id = ur.site_id WHERE ur.user_id = users.id ORDER BY ur.id LIMIT 1)
) WHERE `home_region_code` IS NULL;
