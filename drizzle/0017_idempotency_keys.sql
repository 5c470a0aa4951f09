CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`scope` text NOT NULL,
	`content_hash` text NOT NULL,
	`result` text NOT NULL,
	`actor_user_id` integer,
	`created_at_ms` integer NOT NULL
);
