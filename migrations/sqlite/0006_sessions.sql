-- Weekly sessions, mentors' absences, difficulty reports and calendar feeds (SQLite).
CREATE TABLE sessions (
    id            BLOB PRIMARY KEY NOT NULL,
    student_id    BLOB NOT NULL REFERENCES students (user_id),
    mentor_id     BLOB NOT NULL REFERENCES mentors (user_id),
    project_id    BLOB NOT NULL REFERENCES projects (id),
    start_at      TEXT NOT NULL,
    end_at        TEXT NOT NULL,
    minutes       BIGINT NOT NULL CHECK (minutes IN (30, 45, 60)),
    -- The ISO week of the start in the student's zone, as `2026-W49`.
    week          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('scheduled', 'completed', 'student_no_show',
                  'cancelled', 'late_cancelled_by_student', 'late_cancelled_by_mentor', 'rescheduled')),
    replaces      BLOB REFERENCES sessions (id),
    replaced_by   BLOB REFERENCES sessions (id),
    -- When the outcome or the cancellation was recorded.
    status_at     TEXT,
    summary       TEXT,
    private_note  TEXT,
    notes_at      TEXT,
    notes_due_at  TEXT NOT NULL,
    notes_late    BOOLEAN NOT NULL DEFAULT FALSE,
    reminded_at   TEXT,
    booked_by     BLOB REFERENCES users (id),
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
-- RULES.md, Sessions: one session per student per week, whatever interleaving of requests,
-- instances or retries. The statuses are those of `SessionStatus::takes_the_week`.
CREATE UNIQUE INDEX sessions_one_per_week ON sessions (student_id, week)
    WHERE status IN ('scheduled', 'completed', 'student_no_show', 'late_cancelled_by_student');
CREATE INDEX sessions_mentor_start ON sessions (mentor_id, start_at, id);
CREATE INDEX sessions_student_start ON sessions (student_id, start_at, id);
CREATE INDEX sessions_start ON sessions (start_at, id);
CREATE INDEX sessions_status_start ON sessions (status, start_at, id);
CREATE INDEX sessions_to_remind ON sessions (start_at) WHERE status = 'scheduled' AND reminded_at IS NULL;

-- A mentor's absences: first and last day in the mentor's zone. A withdrawn one is kept.
CREATE TABLE absences (
    id            BLOB PRIMARY KEY NOT NULL,
    mentor_id     BLOB NOT NULL REFERENCES mentors (user_id),
    first_day     TEXT NOT NULL,
    last_day      TEXT NOT NULL CHECK (last_day >= first_day),
    reason        TEXT,
    withdrawn_at  TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX absences_mentor ON absences (mentor_id, first_day);
CREATE INDEX absences_last_day ON absences (last_day, id);

-- Difficulty reports of a mentor about one of their students.
CREATE TABLE reports (
    id            BLOB PRIMARY KEY NOT NULL,
    mentor_id     BLOB NOT NULL REFERENCES mentors (user_id),
    student_id    BLOB NOT NULL REFERENCES students (user_id),
    category      TEXT NOT NULL CHECK (category IN ('motivation', 'technical', 'personal', 'funding', 'attendance', 'other')),
    severity      TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
    body          TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
    comment       TEXT,
    version       BIGINT NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX reports_mentor ON reports (mentor_id, id);
CREATE INDEX reports_status ON reports (status, id);
CREATE INDEX reports_severity ON reports (severity, id);

-- A person's calendar feed: the hash of the secret in its URL (one per person; rotating replaces it).
CREATE TABLE calendar_feeds (
    user_id     BLOB PRIMARY KEY NOT NULL REFERENCES users (id),
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);
