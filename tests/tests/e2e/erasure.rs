//! A person erased: refused while they are still in the program, then their name, email and the
//! texts about them gone from every table and file, their statements' totals unchanged, their
//! login closed, and the audit log still saying who did what, when, without them.

use chrono::{Days, Utc};
use mentorship_store::Backend;
use mentorship_store::db::query;
use mentorship_tests::{PERSON_PASSWORD, TestApp, on_both_databases};
use serde_json::{Value, json};

use super::exports::named_pair;
use super::pay::{at_ten, month_start, tuesday_of};

const MENTOR: &str = "export.mentor@example.com";
const STUDENT: &str = "export.student@example.com";
const NOTES: [&str; 2] = ["Worked on the rate limiter.", "Seemed exhausted."];
const REPORT: &str = "Misses the deadlines of the weather project.";
const ABSENCE: &str = "Surgery at the Lyon clinic";

/// The tables of the database.
async fn tables(app: &TestApp) -> Vec<String> {
    let sql = match app.store.backend() {
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
        }
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
    };
    let tables: Vec<String> = app.store.scalars(query(sql)).await.unwrap();
    assert!(tables.len() > 25, "{tables:?}");
    tables
}

/// The columns of `table`, each as an SQL condition "holds `needle`" (a quoted literal); byte
/// columns are searched as bytes, so that a name in a kept answer is found too.
async fn holds_conditions(app: &TestApp, table: &str, needle: &str) -> Vec<(String, String)> {
    let sql = match app.store.backend() {
        Backend::Postgres => {
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
        Backend::Sqlite => "SELECT name FROM pragma_table_info($1)",
    };
    let names: Vec<String> = app
        .store
        .scalars(query(sql).bind(table.to_owned()))
        .await
        .unwrap();
    let types: Vec<String> = match app.store.backend() {
        Backend::Postgres => {
            let sql = "SELECT data_type::text FROM information_schema.columns \
                       WHERE table_schema = current_schema() AND table_name = $1 \
                       ORDER BY ordinal_position";
            app.store
                .scalars(query(sql).bind(table.to_owned()))
                .await
                .unwrap()
        }
        Backend::Sqlite => vec![String::new(); names.len()],
    };
    names
        .into_iter()
        .zip(types)
        .map(|(column, kind)| {
            let condition = match (app.store.backend(), kind.as_str()) {
                (Backend::Postgres, "bytea") => {
                    format!("position(convert_to('{needle}', 'UTF8') in \"{column}\") > 0")
                }
                (Backend::Postgres, _) => format!("strpos(\"{column}\"::text, '{needle}') > 0"),
                (Backend::Sqlite, _) => {
                    format!("instr(CAST(\"{column}\" AS BLOB), CAST('{needle}' AS BLOB)) > 0")
                }
            };
            (column, condition)
        })
        .collect()
}

/// Where any of `needles` still is: the columns of the database's rows, and the files folder.
async fn still_holding(app: &TestApp, needles: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for table in tables(app).await {
        for needle in needles {
            for (column, condition) in holds_conditions(app, &table, needle).await {
                // A test's few hundred statements: leaked, as the store's queries are static.
                let sql: &'static str =
                    format!("SELECT COUNT(*) FROM \"{table}\" WHERE {condition}").leak();
                let rows: i64 = app.store.scalar(query(sql)).await.unwrap();
                if rows > 0 {
                    found.push(format!("{table}.{column}: {needle}"));
                }
            }
        }
    }
    for file in std::fs::read_dir(&app.files_dir).unwrap() {
        let bytes = std::fs::read(file.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        if needles.iter().any(|n| text.contains(n)) {
            found.push("a file".into());
        }
    }
    found
}

fn files_in(app: &TestApp) -> usize {
    std::fs::read_dir(&app.files_dir).unwrap().count()
}

fn codes(problem: &Value) -> Vec<String> {
    let mut codes: Vec<String> = problem["errors"]
        .as_array()
        .filter(|errors| !errors.is_empty())
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["code"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_else(|| vec![problem["code"].as_str().unwrap().to_owned()]);
    codes.sort();
    codes
}

fn kept(erased: &Value) -> Vec<(String, i64)> {
    erased["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            assert!(!k["reason"].as_str().unwrap().is_empty());
            (
                k["record"].as_str().unwrap().to_owned(),
                k["count"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn a_person_erased_leaves_no_trace_but_what_accounting_keeps(app: TestApp) {
    let admin = app.admin().await;
    let pair = named_pair(&app, &admin).await;
    // A session held last month with its notes, on an issued statement; a report and an absence.
    let project = app.first_project(&app.harness_path().await).await;
    let start = at_ten(Utc::now().date_naive() + Days::new(14));
    let body = json!({"student_id": pair.student_id, "start": start, "project_id": project});
    let session = app.post("/v1/sessions", &pair.mentor, body).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.move_session_to(&session, tuesday_of(month_start(1), 1))
        .await;
    let url = format!("/v1/sessions/{session}/outcome");
    let outcome = json!({"outcome": "completed"});
    app.post(&url, &pair.mentor, outcome).await.ok(200);
    let notes = json!({"summary": NOTES[0], "private_note": NOTES[1]});
    let url = format!("/v1/sessions/{session}/notes");
    let noted = app.call("PUT", &url, Some(&pair.mentor), Some(notes), &[]);
    noted.await.ok(200);
    let report = json!({"student_id": pair.student_id, "category": "technical",
                        "severity": "medium", "text": REPORT});
    app.post("/v1/reports", &pair.mentor, report).await.ok(201);
    let day = (Utc::now() + chrono::Duration::days(60)).date_naive();
    let absence = json!({"first_day": day, "last_day": day, "reason": ABSENCE});
    let url = format!("/v1/mentors/{}/absences", pair.mentor_id);
    app.post(&url, &pair.mentor, absence).await.ok(201);
    let month = month_start(1).format("%Y-%m").to_string();
    let url = format!("/v1/mentors/{}/statements", pair.mentor_id);
    let statement = app.post(&url, &admin, json!({"month": month})).await;
    let statement = statement.ok(201).clone();
    let statement_url = format!("/v1/statements/{}", statement["id"].as_str().unwrap());

    let erase = |id: &str| format!("/v1/users/{id}/erasure");
    // Only admins erase, and not themselves.
    let (manager, _) = app
        .person(&admin, "manager", "erasing.manager@example.com")
        .await;
    let by_manager = app
        .post(&erase(&pair.student_id), &manager, json!({}))
        .await;
    by_manager.problem(403);
    let me = app.get("/v1/me", &admin).await.ok(200)["id"].clone();
    let own = app
        .post(&erase(me.as_str().unwrap()), &admin, json!({}))
        .await;
    // The first admin manages the mentor, too.
    assert_eq!(
        codes(own.problem(409)),
        ["erasure_of_yourself", "manages_mentors"]
    );
    let missing = erase(&uuid::Uuid::now_v7().to_string());
    app.post(&missing, &admin, json!({})).await.problem(404);

    // A mentor still in the program, still owed money, is not erased: every reason at once,
    // and nothing changes.
    let refused = app.post(&erase(&pair.mentor_id), &admin, json!({})).await;
    assert_eq!(
        codes(refused.problem(409)),
        ["mentor_not_offboarded", "statements_unpaid"]
    );
    assert_eq!(
        app.get("/v1/me", &pair.mentor).await.ok(200)["email"],
        MENTOR
    );

    // The student first: out of the program once their sessions ahead are none.
    let student_files = files_in(&app);
    let erased = app.post(&erase(&pair.student_id), &admin, json!({})).await;
    let erased = erased.ok(200).clone();
    assert_eq!(erased["user_id"], pair.student_id.as_str());
    assert_eq!(erased["files_deleted"], 0);
    assert_eq!(files_in(&app), student_files);
    let student_kept = kept(&erased);
    for record in ["account", "sessions", "assignments", "audit_log"] {
        assert!(
            student_kept.iter().any(|(r, _)| r == record),
            "{student_kept:?}"
        );
    }
    let again = app.post(&erase(&pair.student_id), &admin, json!({})).await;
    assert_eq!(codes(again.problem(409)), ["already_erased"]);
    let shown = app
        .get(&format!("/v1/users/{}", pair.student_id), &admin)
        .await;
    let shown = shown.ok(200);
    assert_eq!(shown["name"], erased["pseudonym"]);
    assert_eq!(shown["active"], false);
    assert_eq!(shown["erased_at"], erased["erased_at"]);
    // The account stays erased: nobody brings it back under a new address.
    let etag = app
        .get(&format!("/v1/users/{}", pair.student_id), &admin)
        .await
        .header("etag")
        .unwrap();
    let revived = json!({"active": true, "email": "back@example.com"});
    let url = format!("/v1/users/{}", pair.student_id);
    let revived = app.patch(&url, &admin, &etag, revived).await;
    assert_eq!(codes(revived.problem(409)), ["already_erased"]);
    app.get("/v1/me", &pair.student).await.problem(401);
    let login = json!({"email": STUDENT, "password": PERSON_PASSWORD});
    let refused = app.call("POST", "/v1/auth/login", None, Some(login), &[]);
    refused.await.problem(401);
    // The mentor keeps the session, without its notes; the student's name is gone from it.
    let held = app
        .get(&format!("/v1/sessions/{session}"), &pair.mentor)
        .await;
    let held = held.ok(200);
    assert_eq!(held["status"], "completed");
    assert_eq!(held["summary"], Value::Null);
    let found = still_holding(&app, &["Sam Student", STUDENT, NOTES[0], NOTES[1], REPORT]).await;
    assert!(found.is_empty(), "the student is still in {found:#?}");

    // The mentor, once offboarded and paid.
    let url = format!("/v1/mentors/{}/offboard", pair.mentor_id);
    let reason = json!({"reason": "Left the program"});
    app.post(&url, &admin, reason).await.ok(200);
    app.post(&format!("{statement_url}/approve"), &pair.mentor, json!({}))
        .await
        .ok(200);
    let pay = json!({"payment_reference": "SEPA-77", "paid_on": Utc::now().date_naive()});
    app.post(&format!("{statement_url}/pay"), &admin, pay)
        .await
        .ok(200);
    let before = files_in(&app);
    let erased = app.post(&erase(&pair.mentor_id), &admin, json!({})).await;
    let erased = erased.ok(200).clone();
    // Identity, diploma and company registration were on file; the criminal record extract's
    // file was deleted when it was verified.
    assert_eq!(erased["files_deleted"], 3);
    assert_eq!(files_in(&app), before - 3);
    let mentor_kept = kept(&erased);
    for record in [
        ("statements", 1),
        ("criminal_record_check", 1),
        ("documents", 4),
        ("sessions", 1),
        ("contract", 1),
    ] {
        assert!(
            mentor_kept.contains(&(record.0.to_owned(), record.1)),
            "{mentor_kept:?}"
        );
    }
    let found = still_holding(&app, &["Morgan Mentor", MENTOR, ABSENCE]).await;
    assert!(found.is_empty(), "the mentor is still in {found:#?}");

    // Accounting keeps the statement as it was issued, and the fact of the check.
    let kept_statement = app.get(&statement_url, &admin).await;
    let kept_statement = kept_statement.ok(200);
    assert_eq!(kept_statement["total_cents"], statement["total_cents"]);
    assert_eq!(kept_statement["number"], statement["number"]);
    assert_eq!(kept_statement["payment_reference"], "SEPA-77");
    let documents = format!("/v1/mentors/{}/documents", pair.mentor_id);
    let documents = app.get(&documents, &admin).await;
    let criminal_record = documents.ok(200)["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "criminal_record")
        .unwrap()
        .clone();
    assert_eq!(criminal_record["status"], "verified");
    let login = json!({"email": MENTOR, "password": PERSON_PASSWORD});
    let refused = app.call("POST", "/v1/auth/login", None, Some(login), &[]);
    refused.await.problem(401);

    // The audit log still says who did what and when; the personal fields of its rows about the
    // mentor can no longer be read, their amounts and statuses can.
    let url = format!("/v1/audit?subject_id={}&limit=100", pair.mentor_id);
    let log = app.get(&url, &admin).await;
    let rows = log.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(rows[0]["action"], "user.erased");
    assert_eq!(rows[0]["actor_id"], me);
    assert!(rows.iter().any(|r| r["personal_data_erased"] == true));
    let url = format!(
        "/v1/audit?subject_id={}&action=statement.issued",
        statement["id"].as_str().unwrap()
    );
    let issued = app.get(&url, &admin).await;
    let issued = issued.ok(200)["items"][0]["changes"].clone();
    let field = |name: &str| {
        let change = issued
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["field"] == name);
        change.map(|c| c["after"].clone())
    };
    assert_eq!(field("number"), Some(statement["number"].clone()));
    assert!(field("total").is_some_and(|t| !t.is_null()), "{issued}");
    assert!(
        field("lines").is_some_and(|l| l[0]["amount"] != Value::Null),
        "{issued}"
    );
    assert_eq!(field("mentor_name"), None, "{issued}");
}

on_both_databases!(a_person_erased_leaves_no_trace_but_what_accounting_keeps);
