-- Students, their progress, the mentors' paths and the assignment of students to mentors, and
-- the answers kept for retried requests (PostgreSQL).
CREATE TABLE students (
    user_id           UUID PRIMARY KEY REFERENCES users (id),
    path_id           UUID NOT NULL REFERENCES paths (id),
    project_id        UUID NOT NULL REFERENCES projects (id),
    time_zone         TEXT NOT NULL,
    session_minutes   BIGINT NOT NULL CHECK (session_minutes IN (30, 45, 60)),
    allowed_weekdays  BIGINT NOT NULL CHECK (allowed_weekdays BETWEEN 1 AND 127),
    version           BIGINT NOT NULL DEFAULT 1,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX students_path ON students (path_id, user_id);

-- Every assignment, current and ended. A student has one current mentor: the database says so.
CREATE TABLE assignments (
    id           UUID PRIMARY KEY,
    student_id   UUID NOT NULL REFERENCES students (user_id),
    mentor_id    UUID NOT NULL REFERENCES mentors (user_id),
    started_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ,
    assigned_by  UUID REFERENCES users (id),
    automatic    BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX assignments_one_current ON assignments (student_id) WHERE ended_at IS NULL;
CREATE INDEX assignments_mentor_current ON assignments (mentor_id, student_id) WHERE ended_at IS NULL;
CREATE INDEX assignments_mentor ON assignments (mentor_id);
CREATE INDEX assignments_student ON assignments (student_id, id);

-- The state of each project of a student's path; a project without a row is not started.
CREATE TABLE project_progress (
    student_id   UUID NOT NULL REFERENCES students (user_id),
    project_id   UUID NOT NULL REFERENCES projects (id),
    state        TEXT NOT NULL CHECK (state IN ('not_started', 'in_progress', 'submitted', 'validated')),
    changed_at   TIMESTAMPTZ NOT NULL,
    changed_by   UUID REFERENCES users (id),
    PRIMARY KEY (student_id, project_id)
);

-- A mentor's requests to mentor another path. At most one waits at a time.
CREATE TABLE path_requests (
    id            UUID PRIMARY KEY,
    mentor_id     UUID NOT NULL REFERENCES mentors (user_id),
    path_id       UUID NOT NULL REFERENCES paths (id),
    status        TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'declined')),
    reason        TEXT,
    requested_at  TIMESTAMPTZ NOT NULL,
    decided_at    TIMESTAMPTZ,
    decided_by    UUID REFERENCES users (id),
    version       BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX path_requests_one_pending ON path_requests (mentor_id) WHERE status = 'pending';
CREATE INDEX path_requests_mentor ON path_requests (mentor_id, id);
CREATE INDEX path_requests_status ON path_requests (status, id);

-- The first answer to a request sent with an Idempotency-Key, per caller and key, for 24 hours.
-- `status` is NULL while the first request still runs.
CREATE TABLE idempotency_keys (
    caller       TEXT NOT NULL,
    key          TEXT NOT NULL,
    fingerprint  BYTEA NOT NULL,
    status       BIGINT,
    headers      TEXT,
    body         BYTEA,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
