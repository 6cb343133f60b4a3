//! A person's data exported: as JSON checked field by field, as a ZIP archive holding the same
//! JSON and their documents, by staff on request; nothing about others beyond names; audited.

use std::io::Read;

use chrono::{Days, Utc};
use mentorship_store::db::query;
use mentorship_tests::forms::PDF;
use mentorship_tests::{PERSON_PASSWORD, Pair, TestApp, on_both_databases, token_of};
use serde_json::{Value, json};

use super::pay::{at_ten, month_start, tuesday_of};

const MENTOR: &str = "export.mentor@example.com";
const STUDENT: &str = "export.student@example.com";

fn text_of(data: &Value) -> String {
    data.to_string()
}

/// The files of a ZIP archive, by name.
fn unzip(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().unwrap().into_owned(), content)
        })
        .collect()
}

/// A mentor and their student, each with a name that is not their email (the harness's people
/// are named by their emails), so the exports can be searched for the other's email.
pub async fn named_pair(app: &TestApp, admin: &str) -> Pair {
    let (mentor, mentor_id) = app.mentor(MENTOR).await;
    let account = format!("/v1/users/{mentor_id}");
    let etag = app.get(&account, admin).await.header("etag").unwrap();
    let renamed = app
        .patch(&account, admin, &etag, json!({"name": "Morgan Mentor"}))
        .await;
    renamed.ok(200);
    app.open_places(&mentor, &mentor_id, 10).await;
    let path_id = app.harness_path().await;
    let project_id = app.first_project(&path_id).await;
    let body = json!({
        "name": "Sam Student", "email": STUDENT, "path_id": path_id, "project_id": project_id,
        "time_zone": "Europe/Paris", "session_length": 45,
    });
    let student_id = app.post("/v1/students", admin, body).await.ok(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let student = token_of(&app.accept_invitation(STUDENT, PERSON_PASSWORD).await);
    app.assign(admin, &student_id, &mentor_id).await;
    Pair {
        mentor,
        mentor_id,
        student,
        student_id,
    }
}

async fn people_take_their_data_with_them(app: TestApp) {
    let admin = app.admin().await;
    let pair = named_pair(&app, &admin).await;
    let project = app.first_project(&app.harness_path().await).await;
    let start = at_ten(Utc::now().date_naive() + Days::new(14));
    let body = json!({"student_id": pair.student_id, "start": start, "project_id": project});
    let session = app.post("/v1/sessions", &pair.mentor, body).await;
    let session = session.ok(201)["id"].as_str().unwrap().to_owned();
    // Held last month, so that the month can be issued.
    let held = tuesday_of(month_start(1), 1);
    app.move_session_to(&session, held).await;
    let outcome = json!({"outcome": "completed"});
    let url = format!("/v1/sessions/{session}/outcome");
    app.post(&url, &pair.mentor, outcome).await.ok(200);
    let notes = json!({"summary": "Worked on the API.", "private_note": "Tired today."});
    let url = format!("/v1/sessions/{session}/notes");
    app.call("PUT", &url, Some(&pair.mentor), Some(notes), &[])
        .await
        .ok(200);
    let month = month_start(1).format("%Y-%m").to_string();
    let issued = format!("/v1/mentors/{}/statements", pair.mentor_id);
    let statement = app.post(&issued, &admin, json!({"month": month})).await;
    let statement = statement.ok(201)["id"].as_str().unwrap().to_owned();

    // The mentor's own data, field by field.
    let mine = app.get("/v1/me/export", &pair.mentor).await;
    let data = mine.ok(200).clone();
    assert_eq!(data["account"]["email"], MENTOR);
    assert_eq!(data["account"]["role"], "mentor");
    assert_eq!(data["mentor"]["id"], pair.mentor_id.as_str());
    assert_eq!(data["mentor"]["status"], "active");
    let kinds: Vec<&str> = data["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "identity",
            "criminal_record",
            "diploma",
            "company_registration"
        ]
    );
    assert!(
        data["documents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "verified")
    );
    let sessions = data["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0]["id"], session.as_str());
    assert_eq!(sessions[0]["summary"], "Worked on the API.");
    assert_eq!(sessions[0]["private_note"], "Tired today.");
    assert_eq!(data["student"], Value::Null);
    assert_eq!(data["statements"][0]["id"], statement.as_str());
    assert_eq!(
        data["statements"][0]["lines"][0]["item_id"],
        session.as_str()
    );
    assert!(!data["notifications"].as_array().unwrap().is_empty());
    // The student appears by id and name ("Sam Student"), never by email.
    assert!(text_of(&data).contains("Sam Student"));
    assert!(
        !text_of(&data).contains(STUDENT),
        "the student's email is in the mentor's export"
    );

    // The archive: the same JSON and the documents still on file, byte for byte.
    let auth = format!("Bearer {}", pair.mentor);
    let headers = [
        ("authorization", auth.as_str()),
        ("accept", "application/zip"),
    ];
    let zipped = app.raw("GET", "/v1/me/export", &headers, vec![]).await;
    assert_eq!(zipped.status, 200);
    assert_eq!(
        zipped.header("content-type").as_deref(),
        Some("application/zip")
    );
    let files = unzip(&zipped.bytes);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names[0], "data.json");
    assert!(names.contains(&"documents/identity.pdf"), "{names:?}");
    assert!(names.contains(&"documents/diploma.pdf"), "{names:?}");
    let identity = files
        .iter()
        .find(|(n, _)| n == "documents/identity.pdf")
        .unwrap();
    assert_eq!(identity.1, PDF);
    let archived: Value = serde_json::from_slice(&files[0].1).unwrap();
    assert_eq!(archived["sessions"], data["sessions"]);
    assert_eq!(archived["account"], data["account"]);

    // The student's: their enrollment, assignment and session, without the mentor's private note.
    let theirs = app.get("/v1/me/export", &pair.student).await;
    let data = theirs.ok(200);
    assert_eq!(data["student"]["id"], pair.student_id.as_str());
    assert_eq!(data["mentor"], Value::Null);
    assert_eq!(data["assignments"][0]["mentor_id"], pair.mentor_id.as_str());
    assert_eq!(data["sessions"][0]["summary"], "Worked on the API.");
    assert_eq!(data["sessions"][0]["private_note"], Value::Null);
    assert!(text_of(data).contains("Morgan Mentor"));
    assert!(
        !text_of(data).contains(MENTOR),
        "the mentor's email is in the student's export"
    );

    // Staff produce it on request; nobody else does.
    let url = format!("/v1/users/{}/export", pair.student_id);
    let produced = app.get(&url, &admin).await;
    assert_eq!(produced.ok(200)["student"]["id"], pair.student_id.as_str());
    app.get(&url, &pair.mentor).await.problem(403);
    let missing = format!("/v1/users/{}/export", uuid::Uuid::now_v7());
    app.get(&missing, &admin).await.problem(404);

    // Each export is in the audit log, with who produced it.
    const AUDITED: &str = "SELECT COUNT(*) FROM audit_log WHERE action = 'user.data_exported' \
                           AND object_id = $1 AND actor_id = $2";
    let student: uuid::Uuid = pair.student_id.parse().unwrap();
    let by_admin: String = app.get("/v1/me", &admin).await.body["id"]
        .as_str()
        .unwrap()
        .into();
    let by_admin: uuid::Uuid = by_admin.parse().unwrap();
    let q = query(AUDITED).bind(student).bind(by_admin);
    assert_eq!(app.store.scalar::<i64>(q).await.unwrap(), 1);
}

on_both_databases!(people_take_their_data_with_them);

/// Waits for an export to leave `preparing` (the worker polls every second), and returns it.
async fn prepared(app: &TestApp, url: &str, token: &str) -> Value {
    for _ in 0..100 {
        let export = app.get(url, token).await.ok(200).clone();
        if export["status"] != "preparing" {
            return export;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the export at {url} was not prepared in 10 s");
}

/// An export prepared in the background: asked for, prepared by the worker, told, downloaded by
/// whoever asked for it only, the same archive as at once, then expired.
async fn exports_are_prepared_in_the_background(app: TestApp) {
    let admin = app.admin().await;
    let pair = named_pair(&app, &admin).await;
    let asked = app.post("/v1/me/exports", &pair.mentor, json!({})).await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    assert_eq!(asked.body["status"], "preparing");
    assert_eq!(asked.body["download_url"], Value::Null);
    let url = asked.header("location").unwrap();
    assert_eq!(
        url,
        format!("/v1/exports/{}", asked.body["id"].as_str().unwrap())
    );

    let ready = prepared(&app, &url, &pair.mentor).await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["user_id"], pair.mentor_id.as_str());
    let file = ready["download_url"].as_str().unwrap().to_owned();
    assert!(ready["expires_at"].as_str().unwrap() > ready["ready_at"].as_str().unwrap());
    assert!(
        app.notification_kinds(&pair.mentor)
            .await
            .contains(&"data_export_ready".to_owned())
    );
    let archive = app.get(&file, &pair.mentor).await;
    assert_eq!(archive.status, 200);
    assert_eq!(
        archive.header("content-type").as_deref(),
        Some("application/zip")
    );
    assert_eq!(ready["size_bytes"], archive.bytes.len());
    let files = unzip(&archive.bytes);
    let data: Value = serde_json::from_slice(&files[0].1).unwrap();
    assert_eq!(data["account"]["email"], MENTOR);
    let identity = files.iter().find(|(n, _)| n == "documents/identity.pdf");
    assert_eq!(identity.unwrap().1, PDF);
    // Only whoever asked sees it, staff included.
    app.get(&url, &pair.student).await.problem(404);
    app.get(&file, &admin).await.problem(404);

    // Staff ask on a person's request: they download it, and they are the ones told.
    let url = format!("/v1/users/{}/exports", pair.student_id);
    app.post(&url, &pair.mentor, json!({})).await.problem(403);
    let asked = app.post(&url, &admin, json!({})).await;
    let for_student = asked.header("location").unwrap();
    let ready = prepared(&app, &for_student, &admin).await;
    assert_eq!(
        ready["requested_by"],
        app.get("/v1/me", &admin).await.body["id"]
    );
    let file = ready["download_url"].as_str().unwrap();
    let data = unzip(&app.get(file, &admin).await.bytes);
    let data: Value = serde_json::from_slice(&data[0].1).unwrap();
    assert_eq!(data["account"]["email"], STUDENT);
    assert!(
        !app.notification_kinds(&pair.student)
            .await
            .contains(&"data_export_ready".to_owned())
    );

    // A week later the link is over: expired at once, its archive deleted by the purge.
    let id: uuid::Uuid = ready["id"].as_str().unwrap().parse().unwrap();
    let past = Utc::now() - chrono::Duration::minutes(1);
    const AGE: &str = "UPDATE exports SET expires_at = $2 WHERE id = $1";
    app.store
        .execute(query(AGE).bind(id).bind(past))
        .await
        .unwrap();
    assert_eq!(
        app.get(&for_student, &admin).await.ok(200)["status"],
        "expired"
    );
    let gone = app.get(file, &admin).await;
    assert_eq!(gone.problem(409)["code"], "export_expired");
    let keys = mentorship_store::exports::expire_due(&app.store, mentorship_store::now())
        .await
        .unwrap();
    assert_eq!(keys.len(), 1);
    let export = mentorship_store::exports::get(&app.store, id)
        .await
        .unwrap();
    assert_eq!(export.file_key, None);
}

on_both_databases!(exports_are_prepared_in_the_background);
