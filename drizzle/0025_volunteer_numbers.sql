CREATE TABLE `certificate_requests` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`member_id` integer NOT NULL,
	`county_code` text NOT NULL,
	`from_date` text,
	`to_date` text,
	`status` text NOT NULL,
	`requested_by_user_id` integer NOT NULL,
	`requested_at_ms` integer NOT NULL,
	`decided_by_user_id` integer,
	`decided_at_ms` integer,
	`decline_reason` text,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`county_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`requested_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`decided_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "certificate_requests_status_valid" CHECK("certificate_requests"."status" IN ('pending','issued','declined')),
	CONSTRAINT "certificate_requests_period" CHECK(("certificate_requests"."from_date" IS NULL AND "certificate_requests"."to_date" IS NULL) OR ("certificate_requests"."from_date" IS NOT NULL AND "certificate_requests"."to_date" IS NOT NULL AND "certificate_requests"."from_date" <= "certificate_requests"."to_date"))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `certificate_requests_one_pending` ON `certificate_requests` (`member_id`) WHERE "certificate_requests"."status" = 'pending';--> statement-breakpoint
CREATE INDEX `certificate_requests_county_status` ON `certificate_requests` (`county_code`,`status`,`requested_at_ms`);--> statement-breakpoint
CREATE INDEX `certificate_requests_member` ON `certificate_requests` (`member_id`,`requested_at_ms`);--> statement-breakpoint
CREATE TABLE `certificate_seals` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`county_code` text NOT NULL,
	`media_type` text NOT NULL,
	`image` blob NOT NULL,
	`sha256` text NOT NULL,
	`uploaded_by_user_id` integer NOT NULL,
	`uploaded_at_ms` integer NOT NULL,
	FOREIGN KEY (`county_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`uploaded_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "certificate_seals_media_type" CHECK("certificate_seals"."media_type" IN ('image/png','image/jpeg'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `certificate_seals_county_sha` ON `certificate_seals` (`county_code`,`sha256`);--> statement-breakpoint
CREATE INDEX `certificate_seals_county_uploaded` ON `certificate_seals` (`county_code`,`uploaded_at_ms`);--> statement-breakpoint
CREATE TABLE `certificates` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`number` text NOT NULL,
	`request_id` integer NOT NULL,
	`member_id` integer NOT NULL,
	`county_code` text NOT NULL,
	`content` text NOT NULL,
	`content_sha256` text NOT NULL,
	`ledger_seq` integer NOT NULL,
	`algorithm` text NOT NULL,
	`public_key` text NOT NULL,
	`signature` text NOT NULL,
	`issued_by_user_id` integer NOT NULL,
	`issued_at_ms` integer NOT NULL,
	`revoked_reason` text,
	`revoked_by_user_id` integer,
	`revoked_at_ms` integer,
	FOREIGN KEY (`request_id`) REFERENCES `certificate_requests`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`county_code`) REFERENCES `regions`(`code`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`issued_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`revoked_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `certificates_number` ON `certificates` (`number`);--> statement-breakpoint
CREATE UNIQUE INDEX `certificates_request` ON `certificates` (`request_id`);--> statement-breakpoint
CREATE INDEX `certificates_county_issued` ON `certificates` (`county_code`,`issued_at_ms`);--> statement-breakpoint
CREATE INDEX `certificates_member` ON `certificates` (`member_id`);--> statement-breakpoint
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