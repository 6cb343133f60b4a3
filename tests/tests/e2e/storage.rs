//! The same documents flow on both places files can be kept: the local folder and an
//! S3-compatible bucket (a real server on loopback, see `tests/s3.rs`). Uploaded documents are
//! stored encrypted and read back byte for byte, a verified criminal record's file is deleted, an
//! export's archive is stored and read back, and an erasure leaves nothing stored.

use mentorship_store::Backend;
use mentorship_tests::forms::PDF;
use mentorship_tests::s3::S3Server;
use mentorship_tests::{TestApp, on_both_databases};
use serde_json::json;

/// Where a test's server keeps its files.
enum Shelf<'a> {
    Folder(&'a std::path::Path),
    Bucket(&'a S3Server),
}

impl Shelf<'_> {
    /// Every stored file's raw bytes.
    async fn stored(&self) -> Vec<Vec<u8>> {
        match self {
            Shelf::Folder(dir) => std::fs::read_dir(dir)
                .map(|files| {
                    files
                        .map(|f| std::fs::read(f.unwrap().path()).unwrap())
                        .collect()
                })
                .unwrap_or_default(),
            Shelf::Bucket(server) => server.objects().await,
        }
    }
}

async fn documents_flow(app: &TestApp, shelf: Shelf<'_>) {
    let admin = app.admin().await;
    let (mentor, mentor_id) = app.mentor("stored.mentor@example.com").await;
    // Identity, diploma and company registration are kept; the criminal record extract's file
    // was deleted when it was verified.
    let stored = shelf.stored().await;
    assert_eq!(stored.len(), 3);
    for file in &stored {
        assert!(
            !file.windows(5).any(|w| w == b"%PDF-"),
            "a file stored in clear"
        );
    }
    let url = format!("/v1/mentors/{mentor_id}/documents/identity/file");
    let identity = app.get(&url, &admin).await;
    assert_eq!(identity.status, 200);
    assert_eq!(identity.bytes, PDF);
    let url = format!("/v1/mentors/{mentor_id}/documents/criminal_record/file");
    let deleted = app.get(&url, &admin).await;
    assert_eq!(deleted.problem(409)["code"], "document_file_deleted");

    // An export prepared in the background is kept beside them, and read back.
    let asked = app.post("/v1/me/exports", &mentor, json!({})).await;
    let export = asked.header("location").unwrap();
    let mut ready = json!(null);
    for _ in 0..100 {
        ready = app.get(&export, &mentor).await.ok(200).clone();
        if ready["status"] == "ready" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(shelf.stored().await.len(), 4);
    let archive = app
        .get(ready["download_url"].as_str().unwrap(), &mentor)
        .await;
    assert_eq!(archive.status, 200);
    assert_eq!(ready["size_bytes"], archive.bytes.len());

    // Erased: nothing of theirs stays stored.
    let url = format!("/v1/mentors/{mentor_id}/offboard");
    let reason = json!({"reason": "Left"});
    app.post(&url, &admin, reason).await.ok(200);
    let url = format!("/v1/users/{mentor_id}/erasure");
    let erased = app.post(&url, &admin, json!({})).await;
    assert_eq!(erased.ok(200)["files_deleted"], 4);
    assert!(shelf.stored().await.is_empty());
}

async fn documents_in_a_folder(app: TestApp) {
    let dir = app.files_dir.clone();
    documents_flow(&app, Shelf::Folder(&dir)).await;
}

on_both_databases!(documents_in_a_folder);

/// The flow with the files in a bucket, on `backend`.
async fn documents_in_a_bucket(backend: Backend) {
    let Some(server) = S3Server::start().await else {
        eprintln!("S3 half skipped: TEST_S3_SERVER is not set");
        return;
    };
    let settings = server.settings();
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let Some(app) = TestApp::spawn_with(backend, &settings).await else {
        return;
    };
    documents_flow(&app, Shelf::Bucket(&server)).await;
    assert!(
        !app.files_dir.exists() || std::fs::read_dir(&app.files_dir).unwrap().next().is_none(),
        "a bucket server keeps nothing in its folder"
    );
}

#[actix_web::test]
async fn documents_in_a_bucket_sqlite() {
    documents_in_a_bucket(Backend::Sqlite).await;
}

#[actix_web::test]
async fn documents_in_a_bucket_postgres() {
    documents_in_a_bucket(Backend::Postgres).await;
}
