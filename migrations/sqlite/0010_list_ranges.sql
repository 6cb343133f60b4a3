-- Reports are listed by the time they were filed (GET /v1/reports?from=&to=).
CREATE INDEX reports_created ON reports (created_at, id);
