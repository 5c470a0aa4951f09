-- A revocation is signed and final: it is never changed or taken back (docs/RECORDS.md "Revocation").
CREATE TRIGGER `certificate_revocations_no_update` BEFORE UPDATE ON `certificate_revocations`
BEGIN
	SELECT RAISE(ABORT, 'certificate_revocations is insert-only');
END;
--> statement-breakpoint
CREATE TRIGGER `certificate_revocations_no_delete` BEFORE DELETE ON `certificate_revocations`
BEGIN
	SELECT RAISE(ABORT, 'certificate_revocations is insert-only');
END;
