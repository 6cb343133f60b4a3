-- Pay: rate cards, the rate frozen on a session, referral qualifications, monthly statements
-- (SQLite). Amounts are integer cents.

-- A rate card version: nine hourly rates, complexity (c) x difficulty (d), in force from its
-- day (platform zone) until the next version's. Versions are never edited.
CREATE TABLE rate_cards (
    id            BLOB PRIMARY KEY NOT NULL,
    effective_on  TEXT NOT NULL UNIQUE,
    c1d1 BIGINT NOT NULL CHECK (c1d1 BETWEEN 2500 AND 4000),
    c1d2 BIGINT NOT NULL CHECK (c1d2 BETWEEN 2500 AND 4000),
    c1d3 BIGINT NOT NULL CHECK (c1d3 BETWEEN 2500 AND 4000),
    c2d1 BIGINT NOT NULL CHECK (c2d1 BETWEEN 2500 AND 4000),
    c2d2 BIGINT NOT NULL CHECK (c2d2 BETWEEN 2500 AND 4000),
    c2d3 BIGINT NOT NULL CHECK (c2d3 BETWEEN 2500 AND 4000),
    c3d1 BIGINT NOT NULL CHECK (c3d1 BETWEEN 2500 AND 4000),
    c3d2 BIGINT NOT NULL CHECK (c3d2 BETWEEN 2500 AND 4000),
    c3d3 BIGINT NOT NULL CHECK (c3d3 BETWEEN 2500 AND 4000),
    created_by    BLOB REFERENCES users (id),
    created_at    TEXT NOT NULL
);
-- RULES.md's default card, in force from the program's start.
INSERT INTO rate_cards VALUES (X'00000000000070008000000000000001', '2000-01-01',
    2500, 3000, 3500, 2750, 3250, 3750, 3000, 3500, 4000, NULL, '2000-01-01T00:00:00+00:00');

-- The hourly rate frozen on the session when its outcome (or cancellation) is recorded.
ALTER TABLE sessions ADD COLUMN rate_cents BIGINT CHECK (rate_cents BETWEEN 2500 AND 4000);
CREATE INDEX sessions_mentor_payable ON sessions (mentor_id, start_at) WHERE rate_cents IS NOT NULL;

-- A referral's qualification, recorded once at its instant; `nth` numbers the referrer's.
CREATE TABLE referral_qualifications (
    referred_id   BLOB PRIMARY KEY NOT NULL REFERENCES mentors (user_id),
    referrer_id   BLOB NOT NULL REFERENCES mentors (user_id),
    nth           BIGINT NOT NULL CHECK (nth >= 1),
    session_id    BLOB NOT NULL REFERENCES sessions (id),
    qualified_at  TEXT NOT NULL,
    UNIQUE (referrer_id, nth)
);

-- The last statement number given in a month: taken and raised in the issuing transaction, so a
-- rolled-back issue gives its number back and numbers have no gaps.
CREATE TABLE statement_counters (
    month          TEXT PRIMARY KEY NOT NULL,
    last_sequence  BIGINT NOT NULL CHECK (last_sequence BETWEEN 0 AND 999999)
);

CREATE TABLE statements (
    id                 BLOB PRIMARY KEY NOT NULL,
    mentor_id          BLOB NOT NULL REFERENCES mentors (user_id),
    month              TEXT NOT NULL,
    number             TEXT NOT NULL UNIQUE,
    sequence           BIGINT NOT NULL,
    total_cents        BIGINT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('issued', 'approved', 'disputed', 'paid')),
    issued_at          TEXT NOT NULL,
    issued_by          BLOB REFERENCES users (id),
    decided_at         TEXT,
    dispute_reason     TEXT,
    paid_at            TEXT,
    paid_on            TEXT,
    payment_reference  TEXT,
    version            BIGINT NOT NULL DEFAULT 1,
    updated_at         TEXT NOT NULL,
    UNIQUE (mentor_id, month),
    UNIQUE (month, sequence)
);
CREATE INDEX statements_month ON statements (month, id);
CREATE INDEX statements_status ON statements (status, id);
CREATE INDEX statements_mentor ON statements (mentor_id, month);

-- One line per item; the item's id is the key, so no item is ever on two statements.
CREATE TABLE statement_lines (
    item_id       BLOB PRIMARY KEY NOT NULL,
    statement_id  BLOB NOT NULL REFERENCES statements (id),
    kind          TEXT NOT NULL CHECK (kind IN ('session', 'referral_bonus')),
    occurred_at   TEXT NOT NULL,
    recorded_at   TEXT NOT NULL,
    amount_cents  BIGINT NOT NULL,
    late          BOOLEAN NOT NULL
);
CREATE INDEX statement_lines_statement ON statement_lines (statement_id, occurred_at, item_id);

-- An issued statement never changes: only its lifecycle moves forward; nothing is deleted.
CREATE TRIGGER statements_never_deleted BEFORE DELETE ON statements
BEGIN
    SELECT RAISE(ABORT, 'an issued statement is never deleted');
END;
CREATE TRIGGER statements_frozen BEFORE UPDATE ON statements
WHEN NEW.mentor_id IS NOT OLD.mentor_id OR NEW.month IS NOT OLD.month
  OR NEW.number IS NOT OLD.number OR NEW.sequence IS NOT OLD.sequence
  OR NEW.total_cents IS NOT OLD.total_cents OR NEW.issued_at IS NOT OLD.issued_at
  OR NEW.issued_by IS NOT OLD.issued_by
BEGIN
    SELECT RAISE(ABORT, 'an issued statement never changes');
END;
CREATE TRIGGER statements_forward BEFORE UPDATE OF status ON statements
WHEN NEW.status IS NOT OLD.status AND NOT (
       (OLD.status = 'issued' AND NEW.status IN ('approved', 'disputed'))
    OR (OLD.status IN ('approved', 'disputed') AND NEW.status = 'paid'))
BEGIN
    SELECT RAISE(ABORT, 'a statement only moves forward');
END;
CREATE TRIGGER statement_lines_frozen BEFORE UPDATE ON statement_lines
BEGIN
    SELECT RAISE(ABORT, 'statement lines are never changed');
END;
CREATE TRIGGER statement_lines_never_deleted BEFORE DELETE ON statement_lines
BEGIN
    SELECT RAISE(ABORT, 'statement lines are never deleted');
END;
CREATE TRIGGER referral_qualifications_frozen BEFORE UPDATE ON referral_qualifications
BEGIN
    SELECT RAISE(ABORT, 'a referral qualification is never changed');
END;
CREATE TRIGGER referral_qualifications_never_deleted BEFORE DELETE ON referral_qualifications
BEGIN
    SELECT RAISE(ABORT, 'a referral qualification is never deleted');
END;
