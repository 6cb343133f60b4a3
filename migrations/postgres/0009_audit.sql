-- The audit log, readable by admins (GET /v1/audit): each row names the request that made it,
-- and the log is append-only for every role, the application's own included: rows are only
-- ever inserted.
ALTER TABLE audit_log ADD COLUMN request_id TEXT;
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_subject ON audit_log (object_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
CREATE INDEX audit_log_at ON audit_log (at, id);

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION never_changed();
CREATE FUNCTION never_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is never emptied', TG_TABLE_NAME;
END $$;
CREATE TRIGGER audit_log_never_truncated BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION never_truncated();
-- Whoever connects later holds no right to rewrite the log, whatever the grants of its schema.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
