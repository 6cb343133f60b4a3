-- People, credentials, the catalog and the audit log (PostgreSQL).
CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'mentor', 'student')),
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_role_id ON users (role, id);

CREATE TABLE refresh_tokens (
    id          UUID PRIMARY KEY,
    family_id   UUID NOT NULL,
    user_id     UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  BYTEA NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    rotated_at  TIMESTAMPTZ,
    revoked_at  TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE api_keys (
    id          UUID PRIMARY KEY,
    owner_id    UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    key_hash    BYTEA NOT NULL UNIQUE,
    key_prefix  TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    expires_at  TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX api_keys_owner_id ON api_keys (owner_id, id);

CREATE TABLE paths (
    id          UUID PRIMARY KEY,
    title       TEXT NOT NULL UNIQUE,
    field       TEXT NOT NULL,
    complexity  BIGINT NOT NULL CHECK (complexity BETWEEN 1 AND 3),
    description TEXT NOT NULL DEFAULT '',
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX paths_field_id ON paths (field, id);

CREATE TABLE projects (
    id          UUID PRIMARY KEY,
    path_id     UUID NOT NULL REFERENCES paths (id),
    title       TEXT NOT NULL,
    position    BIGINT NOT NULL CHECK (position >= 1),
    difficulty  BIGINT NOT NULL CHECK (difficulty BETWEEN 1 AND 3),
    description TEXT NOT NULL DEFAULT '',
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (path_id, position)
);

CREATE TABLE audit_log (
    id          UUID PRIMARY KEY,
    actor_id    UUID,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   UUID NOT NULL,
    before      TEXT,
    after       TEXT,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);
