-- People, credentials, the catalog and the audit log (SQLite).
CREATE TABLE users (
    id            BLOB PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'mentor', 'student')),
    password_hash TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT 1,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX users_role_id ON users (role, id);

CREATE TABLE refresh_tokens (
    id          BLOB PRIMARY KEY NOT NULL,
    family_id   BLOB NOT NULL,
    user_id     BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    rotated_at  TEXT,
    revoked_at  TEXT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE api_keys (
    id          BLOB PRIMARY KEY NOT NULL,
    owner_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    key_hash    BLOB NOT NULL UNIQUE,
    key_prefix  TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    expires_at  TEXT,
    created_at  TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX api_keys_owner_id ON api_keys (owner_id, id);

CREATE TABLE paths (
    id          BLOB PRIMARY KEY NOT NULL,
    title       TEXT NOT NULL UNIQUE,
    field       TEXT NOT NULL,
    complexity  BIGINT NOT NULL CHECK (complexity BETWEEN 1 AND 3),
    description TEXT NOT NULL DEFAULT '',
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX paths_field_id ON paths (field, id);

CREATE TABLE projects (
    id          BLOB PRIMARY KEY NOT NULL,
    path_id     BLOB NOT NULL REFERENCES paths (id),
    title       TEXT NOT NULL,
    position    BIGINT NOT NULL CHECK (position >= 1),
    difficulty  BIGINT NOT NULL CHECK (difficulty BETWEEN 1 AND 3),
    description TEXT NOT NULL DEFAULT '',
    version     BIGINT NOT NULL DEFAULT 1,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (path_id, position)
);

CREATE TABLE audit_log (
    id          BLOB PRIMARY KEY NOT NULL,
    actor_id    BLOB,
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id   BLOB NOT NULL,
    before      TEXT,
    after       TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);
