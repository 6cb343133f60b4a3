-- The from/to ranges of the statement, application and notification lists: when a statement
-- was issued, when a mentor applied, when a notification was made.
CREATE INDEX statements_issued_at ON statements (issued_at, id);
CREATE INDEX mentors_applied_at ON mentors (created_at, user_id);
CREATE INDEX notifications_user_made ON notifications (user_id, created_at);
