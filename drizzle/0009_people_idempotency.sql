ALTER TABLE `elders` ADD `idempotency_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `elders_idempotency_key` ON `elders` (`idempotency_key`) WHERE "elders"."idempotency_key" IS NOT NULL;--> statement-breakpoint
ALTER TABLE `members` ADD `idempotency_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `members_idempotency_key` ON `members` (`idempotency_key`) WHERE "members"."idempotency_key" IS NOT NULL;--> statement-breakpoint
ALTER TABLE `team_activities` ADD `idempotency_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `team_activities_idempotency_key` ON `team_activities` (`idempotency_key`) WHERE "team_activities"."idempotency_key" IS NOT NULL;--> statement-breakpoint
ALTER TABLE `teams` ADD `idempotency_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `teams_idempotency_key` ON `teams` (`idempotency_key`) WHERE "teams"."idempotency_key" IS NOT NULL;