-- Pay: rate cards, the rate frozen on a session, referral qualifications, monthly statements
-- (PostgreSQL). Amounts are integer cents.

-- A rate card version: nine hourly rates, complexity (c) x difficulty (d), in force from its
-- day (platform zone) until the next version's. Versions are never edited.
CREATE TABLE rate_cards (
    id            UUID PRIMARY KEY,
    effective_on  DATE NOT NULL UNIQUE,
    c1d1 BIGINT NOT NULL CHECK (c1d1 BETWEEN 2500 AND 4000),
    c1d2 BIGINT NOT NULL CHECK (c1d2 BETWEEN 2500 AND 4000),
    c1d3 BIGINT NOT NULL CHECK (c1d3 BETWEEN 2500 AND 4000),
    c2d1 BIGINT NOT NULL CHECK (c2d1 BETWEEN 2500 AND 4000),
    c2d2 BIGINT NOT NULL CHECK (c2d2 BETWEEN 2500 AND 4000),
    c2d3 BIGINT NOT NULL CHECK (c2d3 BETWEEN 2500 AND 4000),
    c3d1 BIGINT NOT NULL CHECK (c3d1 BETWEEN 2500 AND 4000),
    c3d2 BIGINT NOT NULL CHECK (c3d2 BETWEEN 2500 AND 4000),
    c3d3 BIGINT NOT NULL CHECK (c3d3 BETWEEN 2500 AND 4000),
    created_by    UUID REFERENCES users (id),
    created_at    TIMESTAMPTZ NOT NULL
);
-- RULES.md's default card, in force from the program's start.
INSERT INTO rate_cards VALUES ('00000000-0000-7000-8000-000000000001', DATE '2000-01-01',
    2500, 3000, 3500, 2750, 3250, 3750, 3000, 3500, 4000, NULL, TIMESTAMPTZ '2000-01-01T00:00:00Z');

-- The hourly rate frozen on the session when its outcome (or cancellation) is recorded.
ALTER TABLE sessions ADD COLUMN rate_cents BIGINT CHECK (rate_cents BETWEEN 2500 AND 4000);
CREATE INDEX sessions_mentor_payable ON sessions (mentor_id, start_at) WHERE rate_cents IS NOT NULL;

-- A referral's qualification, recorded once at its instant; `nth` numbers the referrer's.
CREATE TABLE referral_qualifications (
    referred_id   UUID PRIMARY KEY REFERENCES mentors (user_id),
    referrer_id   UUID NOT NULL REFERENCES mentors (user_id),
    nth           BIGINT NOT NULL CHECK (nth >= 1),
    session_id    UUID NOT NULL REFERENCES sessions (id),
    qualified_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (referrer_id, nth)
);

-- The last statement number given in a month: taken and raised in the issuing transaction, so a
-- rolled-back issue gives its number back and numbers have no gaps.
CREATE TABLE statement_counters (
    month          TEXT PRIMARY KEY,
    last_sequence  BIGINT NOT NULL CHECK (last_sequence BETWEEN 0 AND 999999)
);

CREATE TABLE statements (
    id                 UUID PRIMARY KEY,
    mentor_id          UUID NOT NULL REFERENCES mentors (user_id),
    month              TEXT NOT NULL,
    number             TEXT NOT NULL UNIQUE,
    sequence           BIGINT NOT NULL,
    total_cents        BIGINT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('issued', 'approved', 'disputed', 'paid')),
    issued_at          TIMESTAMPTZ NOT NULL,
    issued_by          UUID REFERENCES users (id),
    decided_at         TIMESTAMPTZ,
    dispute_reason     TEXT,
    paid_at            TIMESTAMPTZ,
    paid_on            DATE,
    payment_reference  TEXT,
    version            BIGINT NOT NULL DEFAULT 1,
    updated_at         TIMESTAMPTZ NOT NULL,
    UNIQUE (mentor_id, month),
    UNIQUE (month, sequence)
);
CREATE INDEX statements_month ON statements (month, id);
CREATE INDEX statements_status ON statements (status, id);
CREATE INDEX statements_mentor ON statements (mentor_id, month);

-- One line per item; the item's id is the key, so no item is ever on two statements.
CREATE TABLE statement_lines (
    item_id       UUID PRIMARY KEY,
    statement_id  UUID NOT NULL REFERENCES statements (id),
    kind          TEXT NOT NULL CHECK (kind IN ('session', 'referral_bonus')),
    occurred_at   TIMESTAMPTZ NOT NULL,
    recorded_at   TIMESTAMPTZ NOT NULL,
    amount_cents  BIGINT NOT NULL,
    late          BOOLEAN NOT NULL
);
CREATE INDEX statement_lines_statement ON statement_lines (statement_id, occurred_at, item_id);

-- An issued statement never changes: only its lifecycle moves forward; nothing is deleted.
CREATE FUNCTION statements_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'an issued statement is never deleted';
    END IF;
    IF NEW.mentor_id <> OLD.mentor_id OR NEW.month <> OLD.month OR NEW.number <> OLD.number
       OR NEW.sequence <> OLD.sequence OR NEW.total_cents <> OLD.total_cents
       OR NEW.issued_at <> OLD.issued_at OR NEW.issued_by IS DISTINCT FROM OLD.issued_by THEN
        RAISE EXCEPTION 'an issued statement never changes';
    END IF;
    IF NEW.status <> OLD.status AND (OLD.status, NEW.status) NOT IN
       (('issued', 'approved'), ('issued', 'disputed'), ('approved', 'paid'), ('disputed', 'paid')) THEN
        RAISE EXCEPTION 'a statement cannot go from % to %', OLD.status, NEW.status;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER statements_frozen BEFORE UPDATE OR DELETE ON statements
    FOR EACH ROW EXECUTE FUNCTION statements_frozen();

CREATE FUNCTION never_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never changed nor deleted', TG_TABLE_NAME;
END $$;
CREATE TRIGGER statement_lines_frozen BEFORE UPDATE OR DELETE ON statement_lines
    FOR EACH ROW EXECUTE FUNCTION never_changed();
CREATE TRIGGER referral_qualifications_frozen BEFORE UPDATE OR DELETE ON referral_qualifications
    FOR EACH ROW EXECUTE FUNCTION never_changed();
