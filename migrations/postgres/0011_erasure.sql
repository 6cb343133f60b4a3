-- Erasure (RULES.md, "Personal data"): an erased person keeps an account row under a pseudonym,
-- and the audit log's personal fields are sealed per row (crypto-shredding, see the store's
-- `sealing`): a row's key is kept here, apart from the append-only log, with the people the row
-- is about; erasing one of them deletes the key, and the row's personal fields can no longer be
-- read. Keys are only ever inserted or deleted; the people of a row are only ever inserted.
ALTER TABLE users ADD COLUMN erased_at TIMESTAMPTZ;

CREATE TABLE audit_seals (
    audit_id  UUID PRIMARY KEY REFERENCES audit_log (id),
    key       BYTEA NOT NULL
);

CREATE TABLE audit_subjects (
    person_id  UUID NOT NULL,
    audit_id   UUID NOT NULL REFERENCES audit_log (id),
    PRIMARY KEY (person_id, audit_id)
);

CREATE TRIGGER audit_seals_never_changed BEFORE UPDATE ON audit_seals
    FOR EACH ROW EXECUTE FUNCTION never_changed();
CREATE TRIGGER audit_subjects_never_changed BEFORE UPDATE OR DELETE ON audit_subjects
    FOR EACH ROW EXECUTE FUNCTION never_changed();
CREATE TRIGGER audit_subjects_never_truncated BEFORE TRUNCATE ON audit_subjects
    FOR EACH STATEMENT EXECUTE FUNCTION never_truncated();
REVOKE UPDATE ON audit_seals FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_subjects FROM PUBLIC;
