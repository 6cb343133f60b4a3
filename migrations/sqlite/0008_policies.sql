-- The program's policies (RULES.md, the *(policy)* values): versions, never edited in place; the
-- latest is in force from its instant. Every instance reads them here, so a change holds at once
-- everywhere. Version 1 is RULES.md's defaults.
CREATE TABLE policies (
    version       BIGINT PRIMARY KEY CHECK (version >= 1),
    body          TEXT NOT NULL,
    effective_at  TEXT NOT NULL,
    created_by    BLOB REFERENCES users (id)
);
INSERT INTO policies (version, body, effective_at, created_by) VALUES (1,
    '{"min_professional_experience_years":4,"min_field_experience_years":2,"max_document_bytes":10485760,"cancellation_notice_hours":24,"outcome_factors":{"completed":100,"student_no_show":50,"late_cancelled_by_student":50,"cancelled":0,"late_cancelled_by_mentor":0},"platform_zone":"Europe/Paris","max_requested_students":50,"notes_grace_days":0}',
    '2000-01-01T00:00:00+00:00', NULL);

-- Versions of the policies and of the rate card are kept as they were published.
CREATE TRIGGER policies_never_updated BEFORE UPDATE ON policies
BEGIN
    SELECT RAISE(ABORT, 'a policies version is never changed');
END;
CREATE TRIGGER policies_never_deleted BEFORE DELETE ON policies
BEGIN
    SELECT RAISE(ABORT, 'a policies version is never deleted');
END;
CREATE TRIGGER rate_cards_never_updated BEFORE UPDATE ON rate_cards
BEGIN
    SELECT RAISE(ABORT, 'a rate card version is never changed');
END;
CREATE TRIGGER rate_cards_never_deleted BEFORE DELETE ON rate_cards
BEGIN
    SELECT RAISE(ABORT, 'a rate card version is never deleted');
END;
