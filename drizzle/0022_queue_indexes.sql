-- Issue 16: the verification queue at 100,000 pending records. Paging by submission time checks the scope from the
-- index (id and village_code added to status, created_at_ms, which it replaces: a deep page is read from the index alone, in order); the filter of volunteers reads the distinct
-- volunteers of a scope from an index instead of every pending row.
DROP INDEX `service_records_status_created`;--> statement-breakpoint
CREATE INDEX `service_records_status_created_village` ON `service_records` (`status`,`created_at_ms`,`id`,`village_code`);--> statement-breakpoint
CREATE INDEX `service_records_status_village_volunteer` ON `service_records` (`status`,`village_code`,`volunteer_member_id`);