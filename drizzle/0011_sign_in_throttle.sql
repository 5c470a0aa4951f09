CREATE TABLE `sign_in_throttle` (
	`phone_key` text NOT NULL,
	`address` text NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`window_start_ms` integer NOT NULL,
	`locked_until_ms` integer,
	`lock_count` integer DEFAULT 0 NOT NULL,
	`last_success_ms` integer,
	`failures_since_success` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`phone_key`, `address`)
);
