ALTER TABLE `users` ADD `password_set_by_user_id` integer;--> statement-breakpoint
-- Member sign-ins staff already set up (created for the member, or password reset) are marked with the last staff user who chose the password, from the audit log, until the member proves presence at a counter.
UPDATE `users` SET `password_set_by_user_id` = (
  SELECT `audit_log`.`actor_user_id` FROM `audit_log`
  WHERE `audit_log`.`object_type` = 'user' AND `audit_log`.`object_id` = CAST(`users`.`id` AS TEXT)
    AND `audit_log`.`action` IN ('account.member_sign_in_created', 'auth.password_reset')
  ORDER BY `audit_log`.`id` DESC LIMIT 1
) WHERE `member_id` IS NOT NULL;
