-- Becoming a mentor: the application and profile of each mentor, and their documents.
CREATE TABLE mentors (
    user_id             UUID PRIMARY KEY REFERENCES users (id),
    status              TEXT NOT NULL CHECK (status IN
                        ('applied', 'accepted', 'rejected', 'contract_ready', 'active', 'suspended', 'offboarded')),
    path_id             UUID NOT NULL REFERENCES paths (id),
    experience_years    BIGINT NOT NULL CHECK (experience_years BETWEEN 0 AND 80),
    field_years         BIGINT NOT NULL CHECK (field_years BETWEEN 0 AND 80),
    legal_status        TEXT NOT NULL CHECK (legal_status IN ('freelancer', 'company')),
    country             TEXT NOT NULL,
    right_to_work       BOOLEAN NOT NULL,
    unmet_rules         TEXT NOT NULL,
    referrer_id         UUID REFERENCES users (id),
    manager_id          UUID REFERENCES users (id),
    decision_reason     TEXT,
    reviewed_by         UUID REFERENCES users (id),
    reviewed_at         TIMESTAMPTZ,
    bio                 TEXT NOT NULL DEFAULT '',
    time_zone           TEXT NOT NULL,
    requested_students  BIGINT NOT NULL DEFAULT 0 CHECK (requested_students BETWEEN 0 AND 50),
    activated_at        TIMESTAMPTZ,
    referral_code       TEXT UNIQUE,
    contract_signed_at  TIMESTAMPTZ,
    contract_signed_name TEXT,
    status_reason       TEXT,
    version             BIGINT NOT NULL DEFAULT 1,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX mentors_status_id ON mentors (status, user_id);
CREATE INDEX mentors_path_id ON mentors (path_id, user_id);
CREATE INDEX mentors_manager ON mentors (manager_id);

CREATE TABLE documents (
    id            UUID PRIMARY KEY,
    mentor_id     UUID NOT NULL REFERENCES mentors (user_id),
    kind          TEXT NOT NULL CHECK (kind IN ('identity', 'criminal_record', 'diploma', 'company_registration')),
    status        TEXT NOT NULL CHECK (status IN ('submitted', 'verified', 'rejected')),
    is_current    BOOLEAN NOT NULL,
    file_key      TEXT,
    media_type    TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    issued_on     TEXT,
    uploaded_at   TIMESTAMPTZ NOT NULL,
    reviewed_by   UUID REFERENCES users (id),
    reviewed_at   TIMESTAMPTZ,
    reason        TEXT,
    file_deleted_at TIMESTAMPTZ
);
-- One current document per kind and mentor: two racing uploads cannot both become current.
CREATE UNIQUE INDEX documents_one_current ON documents (mentor_id, kind) WHERE is_current;
