-- Becoming a mentor: the application and profile of each mentor, and their documents.
CREATE TABLE mentors (
    user_id             BLOB PRIMARY KEY REFERENCES users (id),
    status              TEXT NOT NULL CHECK (status IN
                        ('applied', 'accepted', 'rejected', 'contract_ready', 'active', 'suspended', 'offboarded')),
    path_id             BLOB NOT NULL REFERENCES paths (id),
    experience_years    BIGINT NOT NULL CHECK (experience_years BETWEEN 0 AND 80),
    field_years         BIGINT NOT NULL CHECK (field_years BETWEEN 0 AND 80),
    legal_status        TEXT NOT NULL CHECK (legal_status IN ('freelancer', 'company')),
    country             TEXT NOT NULL,
    right_to_work       BOOLEAN NOT NULL,
    unmet_rules         TEXT NOT NULL,
    referrer_id         BLOB REFERENCES users (id),
    manager_id          BLOB REFERENCES users (id),
    decision_reason     TEXT,
    reviewed_by         BLOB REFERENCES users (id),
    reviewed_at         TEXT,
    bio                 TEXT NOT NULL DEFAULT '',
    time_zone           TEXT NOT NULL,
    requested_students  BIGINT NOT NULL DEFAULT 0 CHECK (requested_students BETWEEN 0 AND 50),
    activated_at        TEXT,
    referral_code       TEXT UNIQUE,
    contract_signed_at  TEXT,
    contract_signed_name TEXT,
    status_reason       TEXT,
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
);
CREATE INDEX mentors_status_id ON mentors (status, user_id);
CREATE INDEX mentors_path_id ON mentors (path_id, user_id);
CREATE INDEX mentors_manager ON mentors (manager_id);

CREATE TABLE documents (
    id            BLOB PRIMARY KEY,
    mentor_id     BLOB NOT NULL REFERENCES mentors (user_id),
    kind          TEXT NOT NULL CHECK (kind IN ('identity', 'criminal_record', 'diploma', 'company_registration')),
    status        TEXT NOT NULL CHECK (status IN ('submitted', 'verified', 'rejected')),
    is_current    BOOLEAN NOT NULL,
    file_key      TEXT,
    media_type    TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    issued_on     TEXT,
    uploaded_at   TEXT NOT NULL,
    reviewed_by   BLOB REFERENCES users (id),
    reviewed_at   TEXT,
    reason        TEXT,
    file_deleted_at TEXT
);
-- One current document per kind and mentor: two racing uploads cannot both become current.
CREATE UNIQUE INDEX documents_one_current ON documents (mentor_id, kind) WHERE is_current;
