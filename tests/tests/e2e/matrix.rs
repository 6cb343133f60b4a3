//! The authorization matrix: every operation of the contract, for every kind of caller and
//! every kind of target, with the status it must answer. A new operation fails
//! `every_operation_of_the_contract_has_rows` until its rows are written here.

use std::collections::{BTreeSet, HashMap};

use mentorship_domain::mentors::MentorStatus;
use mentorship_tests::contract::{committed, named_operations};
use mentorship_tests::forms::{self, upload};
use mentorship_tests::{Reply, TestApp, on_both_databases};
use serde_json::{Value, json};

/// The callers, in the order of each row's statuses.
const CALLERS: [&str; 9] = [
    "anonymous",
    "admin",
    "manager",
    "mentor A",
    "mentor B",
    "student A",
    "student B",
    "API key with the scope",
    "API key without the scope",
];

/// What the `{id}` of an operation points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The operation has no `{id}`.
    None,
    /// The caller's own object (their account; a key they made).
    Own,
    /// Someone else's object: a bystander student's.
    Others,
    /// An object of the shared catalog.
    Existing,
    /// An id that exists nowhere.
    Missing,
}

/// One row: an operation, a target, the scope an API key needs, and the status per caller.
struct Row {
    operation: &'static str,
    target: Target,
    scope: Option<&'static str>,
    expect: [u16; 9],
}

const fn row(
    operation: &'static str,
    target: Target,
    scope: Option<&'static str>,
    expect: [u16; 9],
) -> Row {
    Row {
        operation,
        target,
        scope,
        expect,
    }
}

use Target::{Existing, Missing, None as NoId, Others, Own};

#[rustfmt::skip]
const MATRIX: &[Row] = &[
    //                                                                  anon admin mgr  mntA mntB stuA stuB key  key-
    row("GET /health",                    NoId,     None,                [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    row("GET /ready",                     NoId,     None,                [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    row("GET /metrics",                   NoId,     None,                [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    row("GET /problems/{code}",           NoId,     None,                [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    row("POST /v1/auth/login",            NoId,     None,                [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    row("POST /v1/auth/refresh",          NoId,     None,                [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    row("POST /v1/auth/logout",           NoId,     None,                [204, 204, 204, 204, 204, 204, 204, 204, 204]),
    row("POST /v1/auth/logout-all",       NoId,     None,                [401, 204, 204, 204, 204, 204, 204, 403, 403]),
    row("POST /v1/auth/password",         NoId,     None,                [401, 200, 200, 200, 200, 200, 200, 403, 403]),
    row("POST /v1/auth/password-reset",   NoId,     None,                [202, 202, 202, 202, 202, 202, 202, 202, 202]),
    row("POST /v1/auth/password-reset/confirm", NoId, None,              [422, 422, 422, 422, 422, 422, 422, 422, 422]),
    row("GET /v1/me",                     NoId,     None,                [401, 200, 200, 200, 200, 200, 200, 200, 200]),
    row("GET /v1/me/notifications",       NoId,     None,                [401, 200, 200, 200, 200, 200, 200, 403, 403]),
    row("POST /v1/me/notifications/{id}/read", Own, None,                [401, 204, 204, 204, 204, 204, 204, 403, 403]),
    row("POST /v1/me/notifications/{id}/read", Others, None,             [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/me/notifications/{id}/read", Missing, None,            [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/users",                 NoId,     Some("users:write"), [401, 201, 403, 403, 403, 403, 403, 201, 403]),
    row("GET /v1/users",                  NoId,     Some("users:read"),  [401, 200, 200, 403, 403, 403, 403, 200, 403]),
    row("GET /v1/users/{id}",             Own,      Some("users:read"),  [401, 200, 200, 200, 200, 200, 200, 200, 403]),
    row("GET /v1/users/{id}",             Others,   Some("users:read"),  [401, 200, 200, 404, 404, 404, 404, 200, 403]),
    row("GET /v1/users/{id}",             Missing,  Some("users:read"),  [401, 404, 404, 404, 404, 404, 404, 404, 403]),
    row("PATCH /v1/users/{id}",           Own,      Some("users:write"), [401, 200, 200, 200, 200, 200, 200, 200, 403]),
    row("PATCH /v1/users/{id}",           Others,   Some("users:write"), [401, 200, 200, 404, 404, 404, 404, 200, 403]),
    row("PATCH /v1/users/{id}",           Missing,  Some("users:write"), [401, 404, 404, 404, 404, 404, 404, 404, 403]),
    row("POST /v1/api-keys",              NoId,     None,                [401, 201, 201, 201, 201, 201, 201, 403, 403]),
    row("GET /v1/api-keys",               NoId,     None,                [401, 200, 200, 200, 200, 200, 200, 403, 403]),
    row("DELETE /v1/api-keys/{id}",       Own,      None,                [401, 204, 204, 204, 204, 204, 204, 403, 403]),
    row("DELETE /v1/api-keys/{id}",       Others,   None,                [401, 204, 404, 404, 404, 404, 404, 403, 403]),
    row("DELETE /v1/api-keys/{id}",       Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/paths",                 NoId,     Some("paths:write"), [401, 201, 201, 403, 403, 403, 403, 201, 403]),
    row("GET /v1/paths",                  NoId,     Some("paths:read"),  [401, 200, 200, 200, 200, 200, 200, 200, 403]),
    row("GET /v1/paths/{id}",             Existing, Some("paths:read"),  [401, 200, 200, 200, 200, 200, 200, 200, 403]),
    row("GET /v1/paths/{id}",             Missing,  Some("paths:read"),  [401, 404, 404, 404, 404, 404, 404, 404, 403]),
    row("PATCH /v1/paths/{id}",           Existing, Some("paths:write"), [401, 200, 200, 403, 403, 403, 403, 200, 403]),
    row("PATCH /v1/paths/{id}",           Missing,  Some("paths:write"), [401, 404, 404, 403, 403, 403, 403, 404, 403]),
    row("POST /v1/paths/{id}/projects",   Existing, Some("paths:write"), [401, 201, 201, 403, 403, 403, 403, 201, 403]),
    row("POST /v1/paths/{id}/projects",   Missing,  Some("paths:write"), [401, 404, 404, 403, 403, 403, 403, 404, 403]),
    row("GET /v1/paths/{id}/projects",    Existing, Some("paths:read"),  [401, 200, 200, 200, 200, 200, 200, 200, 403]),
    row("GET /v1/paths/{id}/projects",    Missing,  Some("paths:read"),  [401, 404, 404, 404, 404, 404, 404, 404, 403]),
    row("GET /v1/projects/{id}",          Existing, Some("paths:read"),  [401, 200, 200, 200, 200, 200, 200, 200, 403]),
    row("GET /v1/projects/{id}",          Missing,  Some("paths:read"),  [401, 404, 404, 404, 404, 404, 404, 404, 403]),
    row("PATCH /v1/projects/{id}",        Existing, Some("paths:write"), [401, 200, 200, 403, 403, 403, 403, 200, 403]),
    row("PATCH /v1/projects/{id}",        Missing,  Some("paths:write"), [401, 404, 404, 403, 403, 403, 403, 404, 403]),
    row("POST /v1/mentor-applications",   NoId,     None,                [201, 201, 201, 201, 201, 201, 201, 201, 201]),
    row("GET /v1/mentor-applications",    NoId,     None,                [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/mentor-applications/{id}", Own,    None,                [401, 404, 404, 200, 200, 404, 404, 403, 403]),
    row("GET /v1/mentor-applications/{id}", Others, None,                [401, 200, 200, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/mentor-applications/{id}", Missing, None,               [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/mentor-applications/{id}/accept", Others, None,        [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentor-applications/{id}/accept", Missing, None,       [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentor-applications/{id}/reject", Others, None,        [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentor-applications/{id}/reject", Missing, None,       [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/mentors",                NoId,     None,                [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/mentors/{id}",           Own,      None,                [401, 404, 404, 200, 200, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}",           Others,   None,                [401, 200, 200, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}",           Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("PATCH /v1/mentors/{id}",         Own,      None,                [401, 404, 404, 200, 200, 404, 404, 403, 403]),
    row("PATCH /v1/mentors/{id}",         Others,   None,                [401, 403, 403, 404, 404, 404, 404, 403, 403]),
    row("PATCH /v1/mentors/{id}",         Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/suspend",  Others,   None,                [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentors/{id}/suspend",  Missing,  None,                [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentors/{id}/reinstate", Others,  None,                [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentors/{id}/reinstate", Missing, None,                [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentors/{id}/offboard", Others,   None,                [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentors/{id}/offboard", Missing,  None,                [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    // The harness's mentors signed their contract, so they read it.
    row("GET /v1/mentors/{id}/contract",  Own,      None,                [401, 404, 404, 200, 200, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/contract",  Others,   None,                [401, 409, 409, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/contract",  Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/contract/sign", Own, None,                [401, 404, 404, 409, 409, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/contract/sign", Others, None,             [401, 403, 403, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/contract/sign", Missing, None,            [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/documents", Own,      None,                [401, 404, 404, 200, 200, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/documents", Others,   None,                [401, 200, 200, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/documents", Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/documents/{kind}", Own, None,             [401, 404, 404, 409, 409, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/documents/{kind}", Others, None,          [401, 403, 403, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/documents/{kind}", Missing, None,         [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/documents/{kind}/file", Others, None,      [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/mentors/{id}/documents/{kind}/file", Missing, None,     [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentors/{id}/documents/{kind}/verify", Others, None,   [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentors/{id}/documents/{kind}/verify", Missing, None,  [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentors/{id}/documents/{kind}/reject", Others, None,   [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentors/{id}/documents/{kind}/reject", Missing, None,  [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/auth/invitation",       NoId,     None,                [422, 422, 422, 422, 422, 422, 422, 422, 422]),
    row("POST /v1/students",              NoId,     Some("students:write"), [401, 201, 201, 403, 403, 403, 403, 201, 403]),
    row("POST /v1/students/batch",        NoId,     Some("students:write"), [401, 200, 200, 403, 403, 403, 403, 200, 403]),
    row("GET /v1/students",               NoId,     Some("students:read"), [401, 200, 200, 403, 403, 403, 403, 200, 403]),
    row("GET /v1/me/students",            NoId,     None,                [401, 403, 403, 200, 200, 403, 403, 403, 403]),
    // Others: the bystander student, assigned to mentor A.
    row("GET /v1/students/{id}",          Own,      Some("students:read"), [401, 404, 404, 404, 404, 200, 200, 404, 403]),
    row("GET /v1/students/{id}",          Others,   Some("students:read"), [401, 200, 200, 200, 404, 404, 404, 200, 403]),
    row("GET /v1/students/{id}",          Missing,  Some("students:read"), [401, 404, 404, 404, 404, 404, 404, 404, 403]),
    row("PATCH /v1/students/{id}",        Others,   Some("students:write"), [401, 200, 200, 403, 403, 403, 403, 200, 403]),
    row("PATCH /v1/students/{id}",        Missing,  Some("students:write"), [401, 404, 404, 403, 403, 403, 403, 404, 403]),
    row("GET /v1/students/{id}/progress", Own,      Some("students:read"), [401, 404, 404, 404, 404, 200, 200, 404, 403]),
    row("GET /v1/students/{id}/progress", Others,   Some("students:read"), [401, 200, 200, 200, 404, 404, 404, 200, 403]),
    row("GET /v1/students/{id}/progress", Missing,  Some("students:read"), [401, 404, 404, 404, 404, 404, 404, 404, 403]),
    row("PUT /v1/students/{id}/progress/{project_id}", Own, None,        [401, 404, 404, 404, 404, 403, 403, 403, 403]),
    row("PUT /v1/students/{id}/progress/{project_id}", Others, None,     [401, 200, 200, 200, 404, 404, 404, 403, 403]),
    row("PUT /v1/students/{id}/progress/{project_id}", Missing, None,    [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    // Others: a freshly enrolled student, unassigned.
    row("POST /v1/students/{id}/assignments", Others, None,              [401, 201, 201, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/students/{id}/assignments", Missing, None,             [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/students/{id}/assignments/automatic", Others, None,    [401, 201, 201, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/students/{id}/assignments/automatic", Missing, None,   [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/students/{id}/assignments", Own,   None,                [401, 404, 404, 404, 404, 200, 200, 403, 403]),
    row("GET /v1/students/{id}/assignments", Others, None,               [401, 200, 200, 200, 404, 404, 404, 403, 403]),
    row("GET /v1/students/{id}/assignments", Missing, None,              [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    // A mentor asks for themselves; the harness's mentors were activated today: too early.
    row("POST /v1/mentors/{id}/path-requests", Own, None,                [401, 404, 404, 409, 409, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/path-requests", Others, None,             [401, 403, 403, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/path-requests", Missing, None,            [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/path-requests", Own,  None,                [401, 404, 404, 200, 200, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/path-requests", Others, None,              [401, 200, 200, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/path-requests", Missing, None,             [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/path-requests",          NoId,     None,                [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    // Others: a fresh pending request of the bystander mentor.
    row("POST /v1/path-requests/{id}/approve", Others, None,             [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/path-requests/{id}/approve", Missing, None,            [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/path-requests/{id}/decline", Others, None,             [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/path-requests/{id}/decline", Missing, None,            [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    // Sessions. Others: one between mentor A and the bystander student (fresh where a cell
    // consumes it: moved, cancelled, given an outcome or notes).
    row("POST /v1/sessions",              NoId,     None,                [401, 201, 201, 201, 409, 403, 403, 403, 403]),
    row("GET /v1/sessions",               NoId,     None,                [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/me/sessions",            NoId,     None,                [401, 403, 403, 200, 200, 200, 200, 403, 403]),
    row("GET /v1/sessions/needing-new-date", NoId,  None,                [401, 200, 200, 200, 200, 403, 403, 403, 403]),
    row("GET /v1/sessions/{id}",          Others,   None,                [401, 200, 200, 200, 404, 404, 404, 403, 403]),
    row("GET /v1/sessions/{id}",          Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/sessions/{id}/reschedule", Others, None,               [401, 201, 201, 201, 404, 404, 404, 403, 403]),
    row("POST /v1/sessions/{id}/reschedule", Missing, None,              [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/sessions/{id}/cancel",  Others,   None,                [401, 200, 200, 200, 404, 404, 404, 403, 403]),
    row("POST /v1/sessions/{id}/cancel",  Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/sessions/{id}/outcome", Others,   None,                [401, 200, 200, 200, 404, 404, 404, 403, 403]),
    row("POST /v1/sessions/{id}/outcome", Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("PUT /v1/sessions/{id}/notes",    Others,   None,                [401, 200, 200, 200, 404, 404, 404, 403, 403]),
    row("PUT /v1/sessions/{id}/notes",    Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/absences", Own,      None,                [401, 404, 404, 201, 201, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/absences", Others,   None,                [401, 201, 201, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/absences", Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/absences",  Own,      None,                [401, 404, 404, 200, 200, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/absences",  Others,   None,                [401, 200, 200, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/absences",  Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/absences",               NoId,     None,                [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentors/{id}/absences/{absence_id}/withdraw", Own, None, [401, 404, 404, 200, 200, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/absences/{absence_id}/withdraw", Others, None, [401, 200, 200, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/mentors/{id}/absences/{absence_id}/withdraw", Missing, None, [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    // Reports. Others: one of mentor A's about the bystander student.
    row("POST /v1/reports",               NoId,     None,                [401, 403, 403, 201, 404, 403, 403, 403, 403]),
    row("GET /v1/reports",                NoId,     None,                [401, 200, 200, 200, 200, 403, 403, 403, 403]),
    row("GET /v1/reports/{id}",           Others,   None,                [401, 200, 200, 200, 404, 404, 404, 403, 403]),
    row("GET /v1/reports/{id}",           Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/reports/{id}/acknowledge", Others, None,               [401, 200, 200, 403, 404, 404, 404, 403, 403]),
    row("POST /v1/reports/{id}/acknowledge", Missing, None,              [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/reports/{id}/resolve",  Others,   None,                [401, 200, 200, 403, 404, 404, 404, 403, 403]),
    row("POST /v1/reports/{id}/resolve",  Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    // Calendar feeds: made before they are ended; a feed's URL needs no credentials.
    row("POST /v1/me/calendar-feed",      NoId,     None,                [401, 403, 403, 201, 201, 201, 201, 403, 403]),
    row("DELETE /v1/me/calendar-feed",    NoId,     None,                [401, 404, 404, 204, 204, 204, 204, 403, 403]),
    row("GET /v1/calendar-feeds/{token}", Existing, None,                [200, 200, 200, 200, 200, 200, 200, 200, 200]),
    row("GET /v1/calendar-feeds/{token}", Missing,  None,                [404, 404, 404, 404, 404, 404, 404, 404, 404]),
    // Pay. Rate cards are read by everyone logged in and published by admins. Drafts are of
    // this month; mentor B has an issued statement of last month (Others).
    row("GET /v1/rate-cards",             NoId,     None,                [401, 200, 200, 200, 200, 200, 200, 403, 403]),
    row("GET /v1/rate-cards/current",     NoId,     None,                [401, 200, 200, 200, 200, 200, 200, 403, 403]),
    row("POST /v1/rate-cards",            NoId,     None,                [401, 201, 403, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/mentors/{id}/referrals", Own,      None,                [401, 404, 404, 200, 200, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/referrals", Others,   None,                [401, 200, 200, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/referrals", Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/statements/draft", Own, None,              [401, 404, 404, 200, 200, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/statements/draft", Others, None,           [401, 200, 200, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/mentors/{id}/statements/draft", Missing, None,          [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    // Others: the bystander mentor, who has nothing to be paid.
    row("POST /v1/mentors/{id}/statements", Others, None,                [401, 409, 409, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/mentors/{id}/statements", Missing, None,               [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/statements/issue-month", NoId,    None,                [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/statements",             NoId,     None,                [401, 200, 200, 200, 200, 403, 403, 403, 403]),
    row("GET /v1/statements/payout",      NoId,     None,                [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/statements/{id}",        Others,   None,                [401, 200, 200, 404, 200, 404, 404, 403, 403]),
    row("GET /v1/statements/{id}",        Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/statements/{id}/approve", Missing, None,               [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/statements/{id}/dispute", Missing, None,               [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("POST /v1/statements/{id}/pay",   Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    // Policies: read by everyone logged in, their history by staff, changed by admins (here
    // to the same values, which changes nothing).
    row("GET /v1/policies",               NoId,     None,                [401, 200, 200, 200, 200, 200, 200, 403, 403]),
    row("GET /v1/policies/history",       NoId,     None,                [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/audit",                  NoId,     None,                [401, 200, 403, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/me/export",              NoId,     None,                [401, 200, 200, 200, 200, 200, 200, 403, 403]),
    row("POST /v1/me/exports",            NoId,     None,                [401, 202, 202, 202, 202, 202, 202, 403, 403]),
    row("POST /v1/users/{id}/exports",    Others,   None,                [401, 202, 202, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/users/{id}/exports",    Missing,  None,                [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    // Only whoever asked for an export reads it; the matrix's exports are expired at once.
    row("GET /v1/exports/{id}",           Own,      None,                [401, 200, 200, 200, 200, 200, 200, 403, 403]),
    row("GET /v1/exports/{id}",           Others,   None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/exports/{id}",           Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/exports/{id}/file",      Own,      None,                [401, 409, 409, 409, 409, 409, 409, 403, 403]),
    row("GET /v1/exports/{id}/file",      Others,   None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/exports/{id}/file",      Missing,  None,                [401, 404, 404, 404, 404, 404, 404, 403, 403]),
    row("GET /v1/users/{id}/export",      Others,   None,                [401, 200, 200, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/users/{id}/export",      Missing,  None,                [401, 404, 404, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/webhooks",              NoId,     None,                [401, 201, 403, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/webhooks",               NoId,     None,                [401, 200, 403, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/webhooks/{id}",          Existing, None,                [401, 200, 403, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/webhooks/{id}",          Missing,  None,                [401, 404, 403, 403, 403, 403, 403, 403, 403]),
    row("PATCH /v1/webhooks/{id}",        Existing, None,                [401, 200, 403, 403, 403, 403, 403, 403, 403]),
    row("PATCH /v1/webhooks/{id}",        Missing,  None,                [401, 404, 403, 403, 403, 403, 403, 403, 403]),
    row("DELETE /v1/webhooks/{id}",       Existing, None,                [401, 204, 403, 403, 403, 403, 403, 403, 403]),
    row("DELETE /v1/webhooks/{id}",       Missing,  None,                [401, 404, 403, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/webhooks/{id}/rotate-secret", Existing, None,          [401, 200, 403, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/webhooks/{id}/rotate-secret", Missing, None,           [401, 404, 403, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/webhooks/{id}/deliveries", Existing, None,              [401, 200, 403, 403, 403, 403, 403, 403, 403]),
    row("GET /v1/webhooks/{id}/deliveries", Missing, None,               [401, 404, 403, 403, 403, 403, 403, 403, 403]),
    // A fresh webhook has no delivery yet: the delivery is missing either way.
    row("POST /v1/webhooks/{id}/deliveries/{delivery_id}/replay", Existing, None, [401, 404, 403, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/webhooks/{id}/deliveries/{delivery_id}/replay", Missing, None, [401, 404, 403, 403, 403, 403, 403, 403, 403]),
    // Each erasure is of a student enrolled for it: an erased person stays erased.
    row("POST /v1/users/{id}/erasure",    Others,   None,                [401, 200, 403, 403, 403, 403, 403, 403, 403]),
    row("POST /v1/users/{id}/erasure",    Missing,  None,                [401, 404, 403, 403, 403, 403, 403, 403, 403]),
    row("PUT /v1/policies",               NoId,     None,                [401, 200, 403, 403, 403, 403, 403, 403, 403]),
];

const ALL_SCOPES: [&str; 6] = [
    "paths:read",
    "paths:write",
    "users:read",
    "users:write",
    "students:read",
    "students:write",
];
const PASSWORD: &str = "a long passphrase";
const BYSTANDER: &str = "bystander@example.com";

/// The people, keys and objects the matrix is walked against.
struct World {
    /// Access token per caller (none for anonymous, the key's secret for keys).
    tokens: Vec<Option<String>>,
    /// Account id per caller; keys act for the admin.
    ids: Vec<Option<String>>,
    admin: String,
    /// Keys of the admin with every scope but one, by the scope they lack.
    keys_without: HashMap<&'static str, String>,
    bystander_id: String,
    /// An accepted applicant who sent an identity document.
    bystander_mentor: String,
    path_id: String,
    project_id: String,
    mentor_a_id: String,
    /// The project of the harness path, the students' path.
    student_project: String,
    /// A session of mentor A with the bystander student.
    session_id: String,
    /// A report of mentor A about the bystander student.
    report_id: String,
    /// Mentor B's statement of last month.
    statement_id: String,
}

async fn make_key(app: &TestApp, owner: &str, scopes: &[&str]) -> String {
    let reply = app
        .post(
            "/v1/api-keys",
            owner,
            json!({"name": "matrix", "scopes": scopes}),
        )
        .await;
    reply.ok(201)["key_secret"].as_str().unwrap().to_owned()
}

/// A PDF, as far as first bytes go.
const PDF: &[u8] = b"%PDF-1.7 matrix";

/// An accepted applicant who sent their identity document; returns their id.
async fn sent_document(app: &TestApp, email: &str) -> String {
    let (token, id) = app.applicant(email).await;
    app.set_mentor_status(&id, MentorStatus::Accepted).await;
    upload(app, &token, &id, "identity", "id.pdf", PDF, None)
        .await
        .ok(201);
    id
}

async fn world(app: &TestApp) -> World {
    let admin = app.admin().await;
    let admin_id = app.get("/v1/me", &admin).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (manager, manager_id) = app.person(&admin, "manager", "manager@example.com").await;
    let (mentor_a, mentor_a_id) = app.mentor("mentor.a@example.com").await;
    let (mentor_b, mentor_b_id) = app.mentor("mentor.b@example.com").await;
    let (student_a, student_a_id) = app.student(&admin, "student.a@example.com").await;
    let (student_b, student_b_id) = app.student(&admin, "student.b@example.com").await;
    let (_, bystander_id) = app.student(&admin, BYSTANDER).await;
    let full_key = make_key(app, &admin, &ALL_SCOPES).await;
    let mut keys_without = HashMap::new();
    for lacking in ALL_SCOPES {
        let scopes: Vec<&str> = ALL_SCOPES
            .iter()
            .copied()
            .filter(|s| *s != lacking)
            .collect();
        keys_without.insert(lacking, make_key(app, &admin, &scopes).await);
    }
    let path = app
        .post(
            "/v1/paths",
            &admin,
            json!({"title": "Matrix path", "field": "f", "complexity": 1}),
        )
        .await;
    let path_id = path.ok(201)["id"].as_str().unwrap().to_owned();
    let project = app
        .post(
            &format!("/v1/paths/{path_id}/projects"),
            &admin,
            json!({"title": "P", "difficulty": 1}),
        )
        .await;
    let project_id = project.ok(201)["id"].as_str().unwrap().to_owned();
    let people = [
        admin.clone(),
        manager,
        mentor_a.clone(),
        mentor_b,
        student_a,
        student_b,
    ];
    let mut tokens: Vec<Option<String>> = vec![None];
    tokens.extend(people.into_iter().map(Some));
    tokens.push(Some(full_key));
    tokens.push(None); // chosen per row: the key without that row's scope
    let person_ids = [
        &admin_id,
        &manager_id,
        &mentor_a_id,
        &mentor_b_id,
        &student_a_id,
        &student_b_id,
    ];
    let mut ids: Vec<Option<String>> = vec![None];
    ids.extend(person_ids.into_iter().map(|id| Some(id.clone())));
    ids.push(Some(admin_id.clone()));
    ids.push(Some(admin_id));
    let bystander_mentor = sent_document(app, "bystander.mentor@example.com").await;
    // Mentor A takes students, the bystander student first.
    app.open_places(&mentor_a, &mentor_a_id, 50).await;
    app.post(
        &format!("/v1/students/{bystander_id}/assignments"),
        &admin,
        json!({"mentor_id": mentor_a_id}),
    )
    .await
    .ok(201);
    let student_project = app.first_project(&app.harness_path().await).await;
    let session_id = book_for_bystander(app, &admin, &bystander_id, &student_project, 0).await;
    let report = app
        .post(
            "/v1/reports",
            &mentor_a,
            json!({"student_id": bystander_id, "category": "other", "severity": "low", "text": "Matrix."}),
        )
        .await;
    let report_id = report.ok(201)["id"].as_str().unwrap().to_owned();
    let statement_id = paid_statement(app, &admin, &tokens[4], &ids[4], &student_project).await;
    World {
        tokens,
        ids,
        admin,
        keys_without,
        bystander_id,
        bystander_mentor,
        path_id,
        project_id,
        mentor_a_id,
        student_project,
        session_id,
        report_id,
        statement_id,
    }
}

/// Last month in the platform zone, `YYYY-MM`.
fn last_month() -> String {
    use chrono::Datelike;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let first = today.with_day(1).unwrap() - chrono::Months::new(1);
    first.format("%Y-%m").to_string()
}

/// An issued statement of mentor B for last month: a student of theirs, a session moved back
/// to last month, completed, with notes.
async fn paid_statement(
    app: &TestApp,
    admin: &str,
    mentor: &Option<String>,
    mentor_id: &Option<String>,
    project: &str,
) -> String {
    let (mentor, mentor_id) = (mentor.as_deref().unwrap(), mentor_id.as_deref().unwrap());
    app.open_places(mentor, mentor_id, 5).await;
    let (_, payee) = app.student(admin, "payee@example.com").await;
    app.assign(admin, &payee, mentor_id).await;
    let body = json!({"student_id": payee, "start": week_ahead(0), "project_id": project});
    let session = app.post("/v1/sessions", admin, body).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let a_month_ago = chrono::Utc::now() - chrono::Duration::days(31);
    app.move_session_to(&session, a_month_ago).await;
    let url = format!("/v1/sessions/{session}");
    app.post(
        &format!("{url}/outcome"),
        mentor,
        json!({"outcome": "completed"}),
    )
    .await
    .ok(200);
    app.call(
        "PUT",
        &format!("{url}/notes"),
        Some(mentor),
        Some(json!({"summary": "Done"})),
        &[],
    )
    .await
    .ok(200);
    let issued = app
        .post(
            &format!("/v1/mentors/{mentor_id}/statements"),
            admin,
            json!({"month": month_of(a_month_ago)}),
        )
        .await;
    issued.ok(201)["id"].as_str().unwrap().to_owned()
}

fn month_of(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Paris)
        .format("%Y-%m")
        .to_string()
}

/// Monday 10:00 UTC of the `weeks`-th week from now, on and after two weeks ahead.
fn week_ahead(weeks: usize) -> chrono::DateTime<chrono::Utc> {
    use chrono::Datelike;
    let today = chrono::Utc::now().date_naive();
    let monday = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()));
    let day = monday + chrono::Days::new(14 + 7 * weeks as u64);
    day.and_hms_opt(10, 0, 0).unwrap().and_utc()
}

/// A session of the bystander student with mentor A, booked by the admin, `weeks` weeks on.
async fn book_for_bystander(
    app: &TestApp,
    admin: &str,
    student: &str,
    project: &str,
    weeks: usize,
) -> String {
    let body = json!({"student_id": student, "start": week_ahead(weeks), "project_id": project});
    let booked = app.post("/v1/sessions", admin, body).await;
    booked.ok(201)["id"].as_str().unwrap().to_owned()
}

/// A fresh session of the bystander student for cell `n`, moved `n` weeks into the past
/// (`started`: each in a week of its own), and given its outcome (`completed`).
async fn fresh_session(
    app: &TestApp,
    world: &World,
    n: usize,
    started: bool,
    completed: bool,
) -> String {
    let id = book_for_bystander(
        app,
        &world.admin,
        &world.bystander_id,
        &world.student_project,
        n,
    )
    .await;
    if started {
        let ago = chrono::Duration::weeks(i64::try_from(n).unwrap()) + chrono::Duration::hours(1);
        app.move_session_to(&id, chrono::Utc::now() - ago).await;
    }
    if completed {
        app.post(
            &format!("/v1/sessions/{id}/outcome"),
            &world.admin,
            json!({"outcome": "completed"}),
        )
        .await
        .ok(200);
    }
    id
}

/// A fresh report of mentor A about the bystander student, acknowledged when `acknowledged`.
async fn fresh_report(app: &TestApp, world: &World, acknowledged: bool) -> String {
    let mentor_a = world.tokens[3].clone().unwrap();
    let body = json!({"student_id": world.bystander_id, "category": "other", "severity": "low", "text": "Cell."});
    let id = app.post("/v1/reports", &mentor_a, body).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    if acknowledged {
        app.post(
            &format!("/v1/reports/{id}/acknowledge"),
            &world.admin,
            json!({}),
        )
        .await
        .ok(200);
    }
    id
}

/// A student enrolled by the admin (no password set: no one logs in as them).
async fn enrolled(app: &TestApp, world: &World, n: usize) -> String {
    let reply = app
        .post("/v1/students", &world.admin, new_student(app, n).await)
        .await;
    reply.ok(201)["id"].as_str().unwrap().to_owned()
}

/// A webhook made by the admin for one cell.
async fn fresh_webhook(app: &TestApp, world: &World) -> String {
    let body = json!({"url": "https://hooks.example.com/in", "events": ["statement.paid"]});
    let made = app.post("/v1/webhooks", &world.admin, body).await;
    made.ok(201)["id"].as_str().unwrap().to_owned()
}

/// An export asked for by `owner`, expired at once, so that every call finds it in one state
/// whatever the worker did meanwhile.
async fn expired_export(app: &TestApp, owner: &str) -> String {
    let asked = app.post("/v1/me/exports", owner, json!({})).await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    let id = asked.body["id"].as_str().unwrap().to_owned();
    const EXPIRE: &str = "UPDATE exports SET status = 'expired', file_key = NULL WHERE id = $1";
    let q = mentorship_store::db::query(EXPIRE).bind(id.parse::<uuid::Uuid>().unwrap());
    app.store.execute(q).await.unwrap();
    id
}

/// A student to enroll on the harness path.
async fn new_student(app: &TestApp, n: usize) -> Value {
    let path_id = app.harness_path().await;
    let project_id = app.first_project(&path_id).await;
    json!({
        "name": "Enrolled", "email": format!("enrolled{n}@example.com"), "path_id": path_id,
        "project_id": project_id, "time_zone": "Europe/Paris", "session_length": 30,
    })
}

/// A fresh request of the bystander mentor for a new path, pending (put in the database
/// directly: the harness's mentors are too recent to ask, and one may wait at a time).
async fn pending_path_request(app: &TestApp, world: &World, n: usize) -> String {
    const DECIDE: &str =
        "UPDATE path_requests SET status = 'declined' WHERE mentor_id = $1 AND status = 'pending'";
    const ASK: &str = "INSERT INTO path_requests (id, mentor_id, path_id, status, requested_at, version) \
                       VALUES ($1, $2, $3, 'pending', $4, 1)";
    let path = app
        .post(
            "/v1/paths",
            &world.admin,
            json!({"title": format!("Asked path {n}"), "field": "f", "complexity": 1}),
        )
        .await;
    let path_id: uuid::Uuid = path.ok(201)["id"].as_str().unwrap().parse().unwrap();
    let mentor: uuid::Uuid = world.bystander_mentor.parse().unwrap();
    let id = uuid::Uuid::now_v7();
    app.store
        .execute(mentorship_store::db::query(DECIDE).bind(mentor))
        .await
        .unwrap();
    let ask = mentorship_store::db::query(ASK)
        .bind(id)
        .bind(mentor)
        .bind(path_id)
        .bind(chrono::Utc::now());
    app.store.execute(ask).await.unwrap();
    id.to_string()
}

/// Operations that move a mentor's status: each cell gets a fresh mentor to move.
fn moves_a_fresh_mentor(operation: &str) -> bool {
    ["/accept", "/reject", "/suspend", "/reinstate", "/offboard"]
        .iter()
        .any(|end| operation.ends_with(end) && !operation.contains("/documents/"))
}

impl World {
    /// The mentor a cell targets: the caller's own record (people who are not mentors have
    /// none: their own id), a bystander mentor's, or a missing id.
    fn mentor_target(&self, caller: usize, target: Target, missing: String) -> String {
        match target {
            Own => self.ids[caller]
                .clone()
                .unwrap_or_else(|| self.bystander_mentor.clone()),
            Others | Existing | NoId => self.bystander_mentor.clone(),
            Missing => missing,
        }
    }

    fn token(&self, caller: usize, row: &Row) -> Option<String> {
        if caller == CALLERS.len() - 1 {
            // Without the row's scope; a row that needs none takes a key lacking `users:write`.
            return Some(self.keys_without[row.scope.unwrap_or("users:write")].clone());
        }
        self.tokens[caller].clone()
    }
}

/// A fresh notification of the person `user_id`, as the onboarding steps store them.
async fn notification_of(app: &TestApp, user_id: &str) -> String {
    let new = mentorship_store::notifications::NewNotification {
        user_id: user_id.parse().unwrap(),
        email: "someone@example.com".into(),
        kind: "application_received",
        subject: "Matrix".into(),
        body: "A notification for the matrix.".into(),
    };
    let id = mentorship_store::notifications::notify_now(&app.store, new).await;
    id.unwrap().to_string()
}

/// The role of each person caller, for a fresh person of the same role.
const ROLES: [&str; 6] = ["admin", "manager", "mentor", "mentor", "student", "student"];

/// A token of a fresh person with the role of `caller` (for cells that end the caller's
/// sessions), or the world's token for the others.
async fn fresh_token(
    app: &TestApp,
    world: &World,
    row: &Row,
    caller: usize,
    n: usize,
) -> Option<String> {
    let Some(role) = caller.checked_sub(1).and_then(|i| ROLES.get(i)) else {
        return world.token(caller, row);
    };
    let email = format!("fresh{n}.{caller}@example.com");
    if *role == "mentor" {
        return Some(app.applicant(&email).await.0);
    }
    if *role == "student" {
        return Some(app.student(&world.admin, &email).await.0);
    }
    Some(app.person(&world.admin, role, &email).await.0)
}

/// Makes the request of one cell: fresh objects where the call would consume them.
async fn cell(app: &TestApp, world: &World, row: &Row, caller: usize, n: usize) -> Reply {
    let token = match row.operation {
        // These end the caller's sessions: a fresh person of the same role calls.
        "POST /v1/auth/logout-all" | "POST /v1/auth/password" => {
            fresh_token(app, world, row, caller, n).await
        }
        _ => world.token(caller, row),
    };
    let token = token.as_deref();
    let missing = uuid::Uuid::now_v7().to_string();
    let mut absence_id = String::new();
    let (method, pattern) = row.operation.split_once(' ').unwrap();
    let (id, body, etag_of) = match (row.operation, row.target) {
        ("POST /v1/auth/login", _) => (
            None,
            Some(json!({"email": BYSTANDER, "password": PASSWORD})),
            None,
        ),
        ("POST /v1/auth/refresh" | "POST /v1/auth/logout", _) => {
            let pair = app.login(BYSTANDER, PASSWORD).await;
            (
                None,
                Some(json!({"refresh_token": pair["refresh_token"]})),
                None,
            )
        }
        ("POST /v1/auth/password", _) => (
            None,
            Some(json!({"current_password": PASSWORD, "new_password": "a matrix passphrase"})),
            None,
        ),
        ("POST /v1/auth/password-reset", _) => (None, Some(json!({"email": BYSTANDER})), None),
        ("POST /v1/auth/password-reset/confirm", _) => (
            None,
            Some(json!({"token": "ml_not-a-link", "new_password": "a matrix passphrase"})),
            None,
        ),
        ("POST /v1/sessions", _) => (
            None,
            Some(
                json!({"student_id": world.bystander_id, "start": week_ahead(100 + n),
                        "project_id": world.student_project}),
            ),
            None,
        ),
        ("GET /v1/sessions/{id}", Others) => (Some(world.session_id.clone()), None, None),
        ("POST /v1/sessions/{id}/reschedule", t) => {
            let id = if t == Missing {
                missing
            } else {
                fresh_session(app, world, 100 + n, false, false).await
            };
            (Some(id), Some(json!({"start": week_ahead(1000 + n)})), None)
        }
        ("POST /v1/sessions/{id}/cancel", t) => {
            let id = if t == Missing {
                missing
            } else {
                fresh_session(app, world, 100 + n, false, false).await
            };
            // Staff say on whose behalf; the others cancel on their own.
            let body = if (1..=2).contains(&caller) {
                json!({"on_behalf_of": "student"})
            } else {
                json!({})
            };
            (Some(id), Some(body), None)
        }
        ("POST /v1/sessions/{id}/outcome", t) => {
            let id = if t == Missing {
                missing
            } else {
                fresh_session(app, world, n, true, false).await
            };
            (Some(id), Some(json!({"outcome": "completed"})), None)
        }
        ("PUT /v1/sessions/{id}/notes", t) => {
            let id = if t == Missing {
                missing
            } else {
                fresh_session(app, world, n, true, true).await
            };
            (Some(id), Some(json!({"summary": "Matrix notes."})), None)
        }
        ("POST /v1/mentors/{id}/absences", t) => {
            let first = (week_ahead(200 + n)).date_naive();
            let body = json!({"first_day": first, "last_day": first});
            (
                Some(world.mentor_target(caller, t, missing)),
                Some(body),
                None,
            )
        }
        ("POST /v1/mentors/{id}/absences/{absence_id}/withdraw", t) => {
            let mentor = world.mentor_target(caller, t, missing.clone());
            // A fresh absence of the target mentor (staff declare it; none for a missing one).
            let first = (week_ahead(300 + n)).date_naive();
            let declared = app
                .post(
                    &format!("/v1/mentors/{mentor}/absences"),
                    &world.admin,
                    json!({"first_day": first, "last_day": first}),
                )
                .await;
            absence_id = declared.body["id"].as_str().map_or(missing, str::to_owned);
            (Some(mentor), None, None)
        }
        ("POST /v1/reports", _) => (
            None,
            Some(
                json!({"student_id": world.bystander_id, "category": "technical", "severity": "medium", "text": "Cell."}),
            ),
            None,
        ),
        ("GET /v1/reports/{id}", Others) => (Some(world.report_id.clone()), None, None),
        ("POST /v1/reports/{id}/acknowledge" | "POST /v1/reports/{id}/resolve", t) => {
            let id = if t == Missing {
                missing
            } else {
                fresh_report(app, world, row.operation.ends_with("/resolve")).await
            };
            (Some(id), Some(json!({"comment": "Cell."})), None)
        }
        ("GET /v1/calendar-feeds/{token}", t) => {
            let token = if t == Missing {
                "mc_missing".to_owned()
            } else {
                // Student A's feed, made again: the rows before rotated and ended it.
                let student_a = world.tokens[5].clone().unwrap();
                let feed = app
                    .post("/v1/me/calendar-feed", &student_a, json!({}))
                    .await;
                let url = feed.ok(201)["url"].as_str().unwrap().to_owned();
                url.rsplit('/').next().unwrap().to_owned()
            };
            (Some(token), None, None)
        }
        ("POST /v1/auth/invitation", _) => (
            None,
            Some(json!({"token": "ml_not-a-link", "new_password": "a matrix passphrase"})),
            None,
        ),
        ("POST /v1/students", _) => (None, Some(new_student(app, n).await), None),
        ("POST /v1/students/batch", _) => (
            None,
            Some(json!({"students": [new_student(app, n).await]})),
            None,
        ),
        ("PATCH /v1/students/{id}", t) => {
            let id = if t == Missing {
                missing
            } else {
                world.bystander_id.clone()
            };
            let url = format!("/v1/students/{id}");
            let zone = if n.is_multiple_of(2) {
                "Europe/Berlin"
            } else {
                "Europe/Paris"
            };
            (Some(id), Some(json!({"time_zone": zone})), Some(url))
        }
        ("PUT /v1/students/{id}/progress/{project_id}", t) => {
            let id = match t {
                Own => world.ids[caller]
                    .clone()
                    .unwrap_or_else(|| world.bystander_id.clone()),
                Others => world.bystander_id.clone(),
                _ => missing,
            };
            (Some(id), Some(json!({"state": "in_progress"})), None)
        }
        ("POST /v1/webhooks", _) => (
            None,
            Some(json!({"url": "https://hooks.example.com/in", "events": ["session.booked"]})),
            None,
        ),
        (op, t) if op.contains("/v1/webhooks/{id}") => {
            let id = if t == Missing {
                missing
            } else {
                fresh_webhook(app, world).await
            };
            let patch = op.starts_with("PATCH");
            let body = patch.then(|| json!({"description": format!("Cell {n}")}));
            let etag_of = patch.then(|| format!("/v1/webhooks/{id}"));
            (Some(id), body, etag_of)
        }
        ("POST /v1/users/{id}/erasure", t) => {
            let id = if t == Missing {
                missing
            } else {
                enrolled(app, world, n).await
            };
            (Some(id), None, None)
        }
        (
            "POST /v1/students/{id}/assignments" | "POST /v1/students/{id}/assignments/automatic",
            t,
        ) => {
            let id = if t == Missing {
                missing
            } else {
                enrolled(app, world, n).await
            };
            let body = (!row.operation.ends_with("/automatic"))
                .then(|| json!({"mentor_id": world.mentor_a_id}));
            (Some(id), body, None)
        }
        ("POST /v1/mentors/{id}/path-requests", t) => (
            Some(world.mentor_target(caller, t, missing)),
            Some(json!({"path_id": world.path_id})),
            None,
        ),
        ("POST /v1/path-requests/{id}/approve" | "POST /v1/path-requests/{id}/decline", t) => {
            let id = if t == Missing {
                missing
            } else {
                pending_path_request(app, world, n).await
            };
            let body = if row.operation.ends_with("/decline") {
                json!({"reason": "Not now"})
            } else {
                json!({})
            };
            (Some(id), Some(body), None)
        }
        ("POST /v1/users", _) => {
            let email = format!("new{n}@example.com");
            (
                None,
                Some(
                    json!({"email": email, "name": "New", "role": "manager", "password": PASSWORD}),
                ),
                None,
            )
        }
        ("POST /v1/api-keys", _) => (
            None,
            Some(json!({"name": "k", "scopes": ["paths:read"]})),
            None,
        ),
        ("POST /v1/paths", _) => (
            None,
            Some(json!({"title": format!("Path {n}"), "field": "f", "complexity": 1})),
            None,
        ),
        ("POST /v1/paths/{id}/projects", t) => {
            let id = if t == Missing {
                missing
            } else {
                world.path_id.clone()
            };
            (
                Some(id),
                Some(json!({"title": format!("Project {n}"), "difficulty": 2})),
                None,
            )
        }
        ("PATCH /v1/users/{id}", t) => {
            let id = match t {
                Own => world.ids[caller]
                    .clone()
                    .unwrap_or_else(|| world.bystander_id.clone()),
                Others => world.bystander_id.clone(),
                _ => missing,
            };
            (
                Some(id.clone()),
                Some(json!({"name": format!("Renamed {n}")})),
                Some(format!("/v1/users/{id}")),
            )
        }
        ("PATCH /v1/paths/{id}", t) => {
            let id = if t == Missing {
                missing
            } else {
                world.path_id.clone()
            };
            (
                Some(id.clone()),
                Some(json!({"title": format!("Matrix path {n}")})),
                Some(format!("/v1/paths/{id}")),
            )
        }
        ("PATCH /v1/projects/{id}", t) => {
            let id = if t == Missing {
                missing
            } else {
                world.project_id.clone()
            };
            (
                Some(id.clone()),
                Some(json!({"title": format!("Project {n}")})),
                Some(format!("/v1/projects/{id}")),
            )
        }
        ("POST /v1/users/{id}/exports", t) => {
            let id = if t == Missing {
                missing
            } else {
                world.bystander_id.clone()
            };
            (Some(id), None, None)
        }
        ("GET /v1/exports/{id}" | "GET /v1/exports/{id}/file", t) => {
            let id = match t {
                Missing => missing,
                Own => {
                    let owner = world.tokens[caller]
                        .clone()
                        .filter(|_| caller < 7)
                        .unwrap_or_else(|| world.admin.clone());
                    expired_export(app, &owner).await
                }
                _ => {
                    let bystander = app.login(BYSTANDER, PASSWORD).await["access_token"]
                        .as_str()
                        .unwrap()
                        .to_owned();
                    expired_export(app, &bystander).await
                }
            };
            (Some(id), None, None)
        }
        ("DELETE /v1/api-keys/{id}", t) => {
            let owner_token = match t {
                Own => world.tokens[caller]
                    .clone()
                    .filter(|_| caller < 7)
                    .unwrap_or_else(|| world.admin.clone()),
                _ => app.login(BYSTANDER, PASSWORD).await["access_token"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            };
            let id = if t == Missing {
                missing
            } else {
                let made = app
                    .post(
                        "/v1/api-keys",
                        &owner_token,
                        json!({"name": "doomed", "scopes": ["paths:read"]}),
                    )
                    .await;
                made.ok(201)["id"].as_str().unwrap().to_owned()
            };
            (Some(id), None, None)
        }
        ("POST /v1/mentor-applications", _) => {
            let email = format!("applicant{n}@example.com");
            let body = json!({
                "name": "A", "email": email, "password": PASSWORD, "path_id": world.path_id,
                "experience_years": 5, "field_years": 2, "legal_status": "company",
                "country": "DE", "right_to_work_attested": true,
            });
            (None, Some(body), None)
        }
        ("PUT /v1/policies", _) => {
            let current = app.get("/v1/policies", &world.admin).await;
            let body = current.ok(200)["policies"].clone();
            (None, Some(body), Some("/v1/policies".to_owned()))
        }
        ("POST /v1/rate-cards", _) => {
            let day = chrono::Utc::now().date_naive() + chrono::Days::new(30 + n as u64);
            let cells = [["30.00"; 3]; 3];
            (
                None,
                Some(json!({"effective_on": day, "cells": cells})),
                None,
            )
        }
        ("POST /v1/mentors/{id}/statements", t) => (
            Some(world.mentor_target(caller, t, missing)),
            Some(json!({"month": last_month()})),
            None,
        ),
        ("POST /v1/statements/issue-month", _) => {
            (None, Some(json!({"month": last_month()})), None)
        }
        ("GET /v1/statements/{id}", Others) => (Some(world.statement_id.clone()), None, None),
        ("POST /v1/statements/{id}/approve", _) => (Some(missing), Some(json!({})), None),
        ("POST /v1/statements/{id}/dispute", _) => {
            (Some(missing), Some(json!({"reason": "Cell."})), None)
        }
        ("POST /v1/statements/{id}/pay", _) => (
            Some(missing),
            Some(json!({"payment_reference": "Cell", "paid_on": "2026-11-05"})),
            None,
        ),
        (op, Others) if moves_a_fresh_mentor(op) => {
            let (_, id) = app.applicant(&format!("fresh{n}@example.com")).await;
            let status = if op.ends_with("/reinstate") {
                Some(MentorStatus::Suspended)
            } else if op.contains("/mentors/") {
                Some(MentorStatus::Active)
            } else {
                None
            };
            if let Some(status) = status {
                app.set_mentor_status(&id, status).await;
            }
            let body = (!op.ends_with("/accept")).then(|| json!({"reason": "Because"}));
            (Some(id), body, None)
        }
        (op, Missing) if moves_a_fresh_mentor(op) && !op.ends_with("/accept") => {
            (Some(missing), Some(json!({"reason": "Because"})), None)
        }
        ("PATCH /v1/mentors/{id}", t) => {
            let id = world.mentor_target(caller, t, missing);
            let url = format!("/v1/mentors/{id}");
            (
                Some(id),
                Some(json!({"bio": format!("Bio {n}")})),
                Some(url),
            )
        }
        ("POST /v1/mentors/{id}/contract/sign", t) => {
            let id = world.mentor_target(caller, t, missing);
            (
                Some(id),
                Some(json!({"full_name": "A", "accept_terms": true})),
                None,
            )
        }
        ("POST /v1/mentors/{id}/documents/{kind}/reject", Others) => {
            let id = sent_document(app, &format!("sender{n}@example.com")).await;
            (Some(id), Some(json!({"reason": "Blurry"})), None)
        }
        ("POST /v1/mentors/{id}/documents/{kind}/verify", Others) => (
            Some(sent_document(app, &format!("sender{n}@example.com")).await),
            None,
            None,
        ),
        ("POST /v1/mentors/{id}/documents/{kind}/reject", Missing) => {
            (Some(missing), Some(json!({"reason": "Blurry"})), None)
        }
        (op, t) if op.contains("/v1/mentor") => {
            (Some(world.mentor_target(caller, t, missing)), None, None)
        }
        ("POST /v1/me/notifications/{id}/read", t) => {
            let id = match t {
                Own => {
                    let owner = world.ids[caller].as_ref();
                    notification_of(app, owner.unwrap_or(&world.bystander_id)).await
                }
                Others => notification_of(app, &world.bystander_id).await,
                _ => missing,
            };
            (Some(id), None, None)
        }
        (_, Own) => (
            world.ids[caller]
                .clone()
                .or_else(|| Some(world.bystander_id.clone())),
            None,
            None,
        ),
        (_, Others) => (Some(world.bystander_id.clone()), None, None),
        (op, Existing) if op.contains("/projects/") => (Some(world.project_id.clone()), None, None),
        (_, Existing) => (Some(world.path_id.clone()), None, None),
        (_, Missing) => (Some(missing), None, None),
        (_, NoId) => (None, None, None),
    };
    let path = match &id {
        Some(id) => pattern
            .replace("{id}", id)
            .replace("{kind}", "identity")
            .replace("{project_id}", &world.student_project)
            .replace("{absence_id}", &absence_id)
            .replace("{delivery_id}", &uuid::Uuid::now_v7().to_string())
            .replace("{token}", id),
        None => pattern.replace("{code}", "week_already_taken"),
    };
    // The operations that need a month say which.
    let path = match row.operation {
        "GET /v1/mentors/{id}/statements/draft" => {
            let this_month = month_of(chrono::Utc::now());
            format!("{path}?month={this_month}")
        }
        "GET /v1/statements/payout" => format!("{path}?month={}", last_month()),
        _ => path,
    };
    if row.operation == "POST /v1/mentors/{id}/documents/{kind}" {
        let (content_type, form) = forms::form("id.pdf", PDF, None);
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers = vec![("content-type", content_type.as_str())];
        if let Some(auth) = &auth {
            headers.push(("authorization", auth.as_str()));
        }
        return app.raw(method, &path, &headers, form).await;
    }
    // Updates carry the object's current ETag, so the answer is about rights, not staleness.
    let etag = match etag_of {
        Some(url) => app
            .get(&url, &world.admin)
            .await
            .header("etag")
            .unwrap_or_else(|| "\"1\"".into()),
        None => String::new(),
    };
    let extra: Vec<(&str, &str)> = if etag.is_empty() {
        vec![]
    } else {
        vec![("if-match", etag.as_str())]
    };
    app.call(method, &path, token, body, &extra).await
}

async fn every_cell_answers_as_the_matrix_says(app: TestApp) {
    let world = world(&app).await;
    let mut wrong = Vec::new();
    let mut n = 0;
    for row in MATRIX {
        for (caller, expected) in row.expect.iter().enumerate() {
            n += 1;
            let reply = cell(&app, &world, row, caller, n).await;
            if reply.status != *expected {
                wrong.push(format!(
                    "{} ({:?}) as {}: expected {expected}, got {} {}",
                    row.operation, row.target, CALLERS[caller], reply.status, reply.body
                ));
            } else if reply.status >= 400 {
                reply.problem(*expected);
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn every_operation_of_the_contract_has_rows() {
    let doc = committed();
    let in_contract: BTreeSet<String> =
        named_operations(&doc).into_iter().map(|(n, _)| n).collect();
    let in_matrix: BTreeSet<String> = MATRIX.iter().map(|r| r.operation.to_owned()).collect();
    let missing: Vec<_> = in_contract.difference(&in_matrix).collect();
    assert!(
        missing.is_empty(),
        "operations without rows in the authorization matrix: {missing:?}"
    );
    let stale: Vec<_> = in_matrix.difference(&in_contract).collect();
    assert!(
        stale.is_empty(),
        "rows for operations the contract does not have: {stale:?}"
    );
}

/// `GET /v1/me` links to operations on the caller's own record: each is one a mentor or a
/// student may call on their own record, by the matrix's rows.
#[test]
fn every_link_from_the_callers_account_is_to_their_own_record() {
    let doc = committed();
    let operation_of: HashMap<&str, String> = named_operations(&doc)
        .into_iter()
        .filter_map(|(name, op)| Some((op["operationId"].as_str()?, name)))
        .collect();
    let links = doc["paths"]["/v1/me"]["get"]["responses"]["200"]["links"]
        .as_object()
        .expect("links from GET /v1/me");
    assert!(
        links.len() > 10,
        "only {} links from GET /v1/me",
        links.len()
    );
    let caller = |name: &str| CALLERS.iter().position(|c| *c == name).unwrap();
    let (mentor, student) = (caller("mentor A"), caller("student A"));
    for link in links.values() {
        let operation = &operation_of[link["operationId"].as_str().unwrap()];
        let allowed = MATRIX.iter().any(|r| {
            r.operation == operation
                && r.target == Own
                && [mentor, student]
                    .iter()
                    .any(|&caller| !matches!(r.expect[caller], 403 | 404))
        });
        assert!(
            allowed,
            "GET /v1/me links to {operation}, which no mentor or student may call on their own record"
        );
    }
}

on_both_databases!(every_cell_answers_as_the_matrix_says);
