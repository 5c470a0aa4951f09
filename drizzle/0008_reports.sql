CREATE TABLE `report_cursors` (
	`name` text PRIMARY KEY NOT NULL,
	`position` integer NOT NULL,
	`updated_at_ms` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `report_elder_last_visits` (
	`elder_id` integer PRIMARY KEY NOT NULL,
	`last_service_date` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `report_elder_months` (
	`elder_id` integer NOT NULL,
	`month` text NOT NULL,
	`records` integer NOT NULL,
	PRIMARY KEY(`elder_id`, `month`)
);
--> statement-breakpoint
CREATE TABLE `report_figures` (
	`region_code` text NOT NULL,
	`month` text NOT NULL,
	`metric` text NOT NULL,
	`dimension` text DEFAULT '' NOT NULL,
	`value` integer NOT NULL,
	PRIMARY KEY(`region_code`, `month`, `metric`, `dimension`)
);
--> statement-breakpoint
CREATE TABLE `report_member_months` (
	`member_id` integer NOT NULL,
	`month` text NOT NULL,
	`service_minutes` integer NOT NULL,
	`credited_minutes` integer NOT NULL,
	`records` integer NOT NULL,
	PRIMARY KEY(`member_id`, `month`)
);
--> statement-breakpoint
CREATE INDEX `report_member_months_month` ON `report_member_months` (`month`);--> statement-breakpoint
CREATE TABLE `report_registry` (
	`region_code` text NOT NULL,
	`metric` text NOT NULL,
	`dimension` text DEFAULT '' NOT NULL,
	`value` integer NOT NULL,
	PRIMARY KEY(`region_code`, `metric`, `dimension`)
);
--> statement-breakpoint
CREATE TABLE `report_targets` (
	`key` text PRIMARY KEY NOT NULL,
	`value` integer NOT NULL,
	`updated_at_ms` integer NOT NULL,
	`updated_by_user_id` integer
);
