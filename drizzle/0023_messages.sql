CREATE TABLE `member_message_choices` (
	`member_id` integer PRIMARY KEY NOT NULL,
	`channel` text NOT NULL,
	`changed_by_user_id` integer,
	`changed_at_ms` integer NOT NULL,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`changed_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "member_message_choices_channel_valid" CHECK("member_message_choices"."channel" IN ('inbox','sms'))
);
--> statement-breakpoint
CREATE TABLE `messages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`recipient_user_id` integer,
	`recipient_member_id` integer,
	`kind` text NOT NULL,
	`params_json` text NOT NULL,
	`dedupe_key` text,
	`created_at_ms` integer NOT NULL,
	`read_at_ms` integer,
	FOREIGN KEY (`recipient_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`recipient_member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "messages_recipient_present" CHECK("messages"."recipient_user_id" IS NOT NULL OR "messages"."recipient_member_id" IS NOT NULL)
);
--> statement-breakpoint
CREATE INDEX `messages_user` ON `messages` (`recipient_user_id`,`id`);--> statement-breakpoint
CREATE INDEX `messages_member` ON `messages` (`recipient_member_id`,`id`);--> statement-breakpoint
CREATE INDEX `messages_user_unread` ON `messages` (`recipient_user_id`) WHERE "messages"."read_at_ms" IS NULL;--> statement-breakpoint
CREATE INDEX `messages_member_unread` ON `messages` (`recipient_member_id`) WHERE "messages"."read_at_ms" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `messages_dedupe_key` ON `messages` (`dedupe_key`) WHERE "messages"."dedupe_key" IS NOT NULL;--> statement-breakpoint
CREATE TABLE `sms_outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`message_id` integer NOT NULL,
	`member_id` integer NOT NULL,
	`text` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at_ms` integer NOT NULL,
	`claimed_until_ms` integer,
	`gateway_id` text,
	`last_error` text,
	`created_at_ms` integer NOT NULL,
	`sent_at_ms` integer,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`member_id`) REFERENCES `members`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "sms_outbox_status_valid" CHECK("sms_outbox"."status" IN ('pending','sending','sent','failed')),
	CONSTRAINT "sms_outbox_attempts_non_negative" CHECK("sms_outbox"."attempts" >= 0)
);
--> statement-breakpoint
CREATE INDEX `sms_outbox_due` ON `sms_outbox` (`status`,`next_attempt_at_ms`);--> statement-breakpoint
CREATE INDEX `sms_outbox_message` ON `sms_outbox` (`message_id`);--> statement-breakpoint
CREATE TABLE `sms_templates` (
	`kind` text PRIMARY KEY NOT NULL,
	`body` text NOT NULL,
	`updated_by_user_id` integer,
	`updated_at_ms` integer NOT NULL,
	FOREIGN KEY (`updated_by_user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE no action
);
