-- Erasure (RULES.md, "Personal data"): an erased person keeps an account row under a pseudonym,
-- and the audit log's personal fields are sealed per row (crypto-shredding, see the store's
-- `sealing`): a row's key is kept here, apart from the append-only log, with the people the row
-- is about; erasing one of them deletes the key, and the row's personal fields can no longer be
-- read. Keys are only ever inserted or deleted; the people of a row are only ever inserted.
ALTER TABLE users ADD COLUMN erased_at TEXT;

CREATE TABLE audit_seals (
    audit_id  BLOB PRIMARY KEY NOT NULL REFERENCES audit_log (id),
    key       BLOB NOT NULL
);

CREATE TABLE audit_subjects (
    person_id  BLOB NOT NULL,
    audit_id   BLOB NOT NULL REFERENCES audit_log (id),
    PRIMARY KEY (person_id, audit_id)
);

CREATE TRIGGER audit_seals_never_updated BEFORE UPDATE ON audit_seals
BEGIN
    SELECT RAISE(ABORT, 'audit_seals rows are never changed');
END;
CREATE TRIGGER audit_subjects_never_updated BEFORE UPDATE ON audit_subjects
BEGIN
    SELECT RAISE(ABORT, 'audit_subjects rows are never changed');
END;
CREATE TRIGGER audit_subjects_never_deleted BEFORE DELETE ON audit_subjects
BEGIN
    SELECT RAISE(ABORT, 'audit_subjects rows are never deleted');
END;
