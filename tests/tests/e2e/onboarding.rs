//! From stranger to active mentor: application, review, documents, contract, referral code.

use mentorship_tests::forms::{PDF, days_ago, upload};
use mentorship_tests::smtp::SmtpRelay;
use mentorship_tests::{TestApp, on_both_databases, token_of};
use serde_json::{Value, json};

const PASSWORD: &str = "a long passphrase";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

fn application(email: &str, path_id: &str, code: Option<&str>) -> Value {
    json!({
        "name": "Grace Hopper", "email": email, "password": PASSWORD, "path_id": path_id,
        "experience_years": 6, "field_years": 3, "legal_status": "freelancer", "country": "FR",
        "right_to_work_attested": true, "referral_code": code,
    })
}

fn status_of(checklist: &Value, kind: &str) -> String {
    let docs = checklist["documents"].as_array().unwrap();
    docs.iter().find(|d| d["kind"] == kind).unwrap()["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Applies, gets accepted by `manager`, sends and gets verified the four documents, signs.
/// Returns the mentor's token and id.
async fn activate(
    app: &TestApp,
    manager: &str,
    email: &str,
    path_id: &str,
    code: Option<&str>,
) -> (String, String) {
    let applied = app
        .call(
            "POST",
            "/v1/mentor-applications",
            None,
            Some(application(email, path_id, code)),
            &[],
        )
        .await;
    let id = applied.ok(201)["id"].as_str().unwrap().to_owned();
    app.post(
        &format!("/v1/mentor-applications/{id}/accept"),
        manager,
        json!(null),
    )
    .await;
    let token = token_of(&app.login(email, PASSWORD).await);
    for (kind, issued) in [
        ("identity", None),
        ("criminal_record", Some(days_ago(10))),
        ("diploma", None),
        ("company_registration", None),
    ] {
        upload(app, &token, &id, kind, "scan.pdf", PDF, issued.as_deref())
            .await
            .ok(201);
        app.call(
            "POST",
            &format!("/v1/mentors/{id}/documents/{kind}/verify"),
            Some(manager),
            None,
            &[],
        )
        .await
        .ok(200);
    }
    let signed = app
        .post(
            &format!("/v1/mentors/{id}/contract/sign"),
            &token,
            json!({"full_name": "Grace Hopper", "accept_terms": true}),
        )
        .await;
    assert_eq!(signed.ok(200)["status"], "active");
    (token, id)
}

/// A path for applicants to apply to, made by `admin`; returns its id.
async fn web_path(app: &TestApp, admin: &str) -> String {
    let path = app
        .post(
            "/v1/paths",
            admin,
            json!({"title": "Web", "field": "web", "complexity": 2}),
        )
        .await;
    path.ok(201)["id"].as_str().unwrap().to_owned()
}

async fn a_stranger_becomes_an_active_mentor(app: TestApp, relay: SmtpRelay) {
    let admin = app.admin().await;
    let (manager, manager_id) = app.person(&admin, "manager", "mia@example.com").await;
    let path_id = web_path(&app, &admin).await;

    // Apply, with no account.
    let applied = app
        .call(
            "POST",
            "/v1/mentor-applications",
            None,
            Some(application("ada@example.com", &path_id, None)),
            &[],
        )
        .await;
    let body = applied.ok(201).clone();
    let id = body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        (body["status"].as_str(), body["eligible"].as_bool()),
        (Some("applied"), Some(true))
    );
    let again = app
        .call(
            "POST",
            "/v1/mentor-applications",
            None,
            Some(application("ADA@example.com", &path_id, None)),
            &[],
        )
        .await;
    again.problem(409);
    let mentor = token_of(&app.login("ada@example.com", PASSWORD).await);
    assert_eq!(
        app.get(&format!("/v1/mentor-applications/{id}"), &mentor)
            .await
            .ok(200)["status"],
        "applied"
    );

    // Documents wait for acceptance; the contract for the documents.
    let early = upload(&app, &mentor, &id, "identity", "id.pdf", PDF, None).await;
    assert_eq!(early.problem(409)["code"], "documents_not_expected");
    assert_eq!(
        app.get(&format!("/v1/mentors/{id}/contract"), &mentor)
            .await
            .problem(409)["code"],
        "contract_not_ready"
    );

    // Review: staff only, and the reviewer becomes the manager.
    app.post(
        &format!("/v1/mentor-applications/{id}/accept"),
        &mentor,
        json!(null),
    )
    .await
    .problem(403);
    let accepted = app
        .call(
            "POST",
            &format!("/v1/mentor-applications/{id}/accept"),
            Some(&manager),
            None,
            &[],
        )
        .await;
    assert_eq!(accepted.ok(200)["status"], "accepted");
    app.call(
        "POST",
        &format!("/v1/mentor-applications/{id}/accept"),
        Some(&manager),
        None,
        &[],
    )
    .await
    .problem(409);
    assert_eq!(
        app.get(&format!("/v1/mentors/{id}"), &mentor).await.ok(200)["manager_id"],
        manager_id.as_str()
    );

    // Files are judged by their bytes and names; a refused one leaves nothing behind.
    upload(&app, &mentor, &id, "identity", "id.pdf", b"just text", None)
        .await
        .problem(415);
    upload(&app, &mentor, &id, "identity", "id.pdf", PNG, None)
        .await
        .problem(415);
    upload(&app, &mentor, &id, "identity", "id.pdf.exe", PDF, None)
        .await
        .problem(422);
    upload(&app, &mentor, &id, "identity", "../id.pdf", PDF, None)
        .await
        .problem(422);
    upload(&app, &mentor, &id, "identity", "id.pdf", b"", None)
        .await
        .problem(422);
    let mut big = PDF.to_vec();
    big.resize(10 * 1024 * 1024 + 1, b' ');
    upload(&app, &mentor, &id, "identity", "id.pdf", &big, None)
        .await
        .problem(413);
    upload(&app, &mentor, &id, "criminal_record", "cr.pdf", PDF, None)
        .await
        .problem(422);
    let old = upload(
        &app,
        &mentor,
        &id,
        "criminal_record",
        "cr.pdf",
        PDF,
        Some(&days_ago(100)),
    )
    .await;
    assert_eq!(
        old.problem(422)["errors"][0]["code"],
        "criminal_record_too_old"
    );
    upload(&app, &mentor, &id, "passport", "p.pdf", PDF, None)
        .await
        .problem(404);
    let checklist = app
        .get(&format!("/v1/mentors/{id}/documents"), &mentor)
        .await
        .ok(200)
        .clone();
    assert!(
        checklist["documents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "missing"),
        "{checklist}"
    );

    // The four documents; one rejected and sent again.
    upload(&app, &mentor, &id, "identity", "id.pdf", PDF, None)
        .await
        .ok(201);
    upload(&app, &mentor, &id, "identity", "id.pdf", PDF, None)
        .await
        .problem(409);
    upload(
        &app,
        &mentor,
        &id,
        "criminal_record",
        "cr.PDF",
        PDF,
        Some(&days_ago(20)),
    )
    .await
    .ok(201);
    upload(&app, &mentor, &id, "diploma", "diploma.png", PNG, None)
        .await
        .ok(201);
    upload(
        &app,
        &mentor,
        &id,
        "company_registration",
        "kbis.pdf",
        PDF,
        None,
    )
    .await
    .ok(201);
    let docs = format!("/v1/mentors/{id}/documents");
    app.post(
        &format!("{docs}/diploma/reject"),
        &manager,
        json!({"reason": ""}),
    )
    .await
    .problem(422);
    let rejected = app
        .post(
            &format!("{docs}/diploma/reject"),
            &manager,
            json!({"reason": "Unreadable scan"}),
        )
        .await;
    assert_eq!(status_of(rejected.ok(200), "diploma"), "rejected");
    upload(
        &app,
        &mentor,
        &id,
        "diploma",
        "diploma.jpg",
        b"\xff\xd8\xff\xe0 jpeg",
        None,
    )
    .await
    .ok(201);
    app.post(
        &format!("/v1/mentors/{id}/contract/sign"),
        &mentor,
        json!({"full_name": "Grace Hopper", "accept_terms": true}),
    )
    .await
    .problem(409);

    // Staff download (audited) and verify; the criminal record's file goes once verified.
    let file = app.get(&format!("{docs}/identity/file"), &manager).await;
    assert_eq!(file.status, 200);
    assert_eq!(
        file.header("content-type").as_deref(),
        Some("application/pdf")
    );
    app.get(&format!("{docs}/identity/file"), &mentor)
        .await
        .problem(403);
    for kind in [
        "identity",
        "criminal_record",
        "diploma",
        "company_registration",
    ] {
        app.call(
            "POST",
            &format!("{docs}/{kind}/verify"),
            Some(&manager),
            None,
            &[],
        )
        .await
        .ok(200);
    }
    app.call(
        "POST",
        &format!("{docs}/identity/verify"),
        Some(&manager),
        None,
        &[],
    )
    .await
    .problem(409);
    let checklist = app.get(&docs, &manager).await.ok(200).clone();
    assert_eq!(checklist["complete"], true);
    let record = &checklist["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "criminal_record")
        .unwrap()
        .clone();
    assert_eq!(
        (record["status"].as_str(), record["file_kept"].as_bool()),
        (Some("verified"), Some(false))
    );
    assert_eq!(
        app.get(&format!("{docs}/criminal_record/file"), &manager)
            .await
            .problem(409)["code"],
        "document_file_deleted"
    );

    // The contract, signed with the full name: active, with a referral code.
    let contract = app
        .get(&format!("/v1/mentors/{id}/contract"), &mentor)
        .await
        .ok(200)
        .clone();
    assert_eq!(contract["state"], "ready");
    assert!(contract["text"].as_str().unwrap().contains("Grace Hopper"));
    let sign_url = format!("/v1/mentors/{id}/contract/sign");
    let sign = |name: &str, accept: bool| {
        app.post(
            &sign_url,
            &mentor,
            json!({"full_name": name, "accept_terms": accept}),
        )
    };
    assert_eq!(
        sign("Someone Else", true).await.problem(409)["code"],
        "signature_mismatch"
    );
    assert_eq!(
        sign("grace  hopper", false).await.problem(409)["code"],
        "terms_not_accepted"
    );
    let active = sign("grace  hopper", true).await.ok(200).clone();
    assert_eq!(active["status"], "active");
    assert!(active["activated_at"].is_string());
    let code = active["referral_code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 8);

    // The code refers the next applicant; unknown codes and self-referral are refused.
    let referred = app
        .call(
            "POST",
            "/v1/mentor-applications",
            None,
            Some(application("bob@example.com", &path_id, Some(&code))),
            &[],
        )
        .await;
    assert_eq!(referred.ok(201)["referred"], true);
    let unknown = app
        .call(
            "POST",
            "/v1/mentor-applications",
            None,
            Some(application("cy@example.com", &path_id, Some("NOPE1234"))),
            &[],
        )
        .await;
    assert_eq!(unknown.problem(422)["errors"][0]["field"], "referral_code");
    let own = app
        .call(
            "POST",
            "/v1/mentor-applications",
            None,
            Some(application("Ada@example.com", &path_id, Some(&code))),
            &[],
        )
        .await;
    assert_eq!(own.problem(422)["errors"][0]["code"], "self_referral");

    // Each step told the mentor, in the app and by email through the outbox.
    let told = app
        .get("/v1/me/notifications?limit=50", &mentor)
        .await
        .ok(200)
        .clone();
    let mut kinds: Vec<&str> = told["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "application_accepted",
            "application_received",
            "contract_ready",
            "document_rejected",
            "mentor_activated"
        ]
    );
    let emails = relay
        .wait_for("ada@example.com", 5, std::time::Duration::from_secs(30))
        .await;
    let welcome = emails
        .iter()
        .find(|m| m.data.contains("Welcome"))
        .expect("the onboarding message");
    assert!(
        welcome.data.contains(&code),
        "the onboarding message gives the referral code"
    );
    assert!(
        emails.iter().any(|m| m.data.contains("Unreadable scan")),
        "the rejection reason is sent"
    );
}

async fn ineligible_applications_can_only_be_rejected(app: TestApp) {
    let admin = app.admin().await;
    let path = app
        .post(
            "/v1/paths",
            &admin,
            json!({"title": "Data", "field": "data", "complexity": 1}),
        )
        .await;
    let path_id = path.ok(201)["id"].as_str().unwrap().to_owned();
    let mut junior = application("jr@example.com", &path_id, None);
    junior["experience_years"] = json!(2);
    junior["right_to_work_attested"] = json!(false);
    let applied = app
        .call("POST", "/v1/mentor-applications", None, Some(junior), &[])
        .await;
    let body = applied.ok(201).clone();
    assert_eq!(body["eligible"], false);
    let codes: Vec<&str> = body["unmet_rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "professional_experience_too_short",
            "right_to_work_not_attested"
        ]
    );
    let id = body["id"].as_str().unwrap();
    let accept = app
        .call(
            "POST",
            &format!("/v1/mentor-applications/{id}/accept"),
            Some(&admin),
            None,
            &[],
        )
        .await;
    assert_eq!(accept.problem(409)["code"], "application_ineligible");
    let rejected = app
        .post(
            &format!("/v1/mentor-applications/{id}/reject"),
            &admin,
            json!({"reason": "Not enough experience yet"}),
        )
        .await;
    assert_eq!(
        rejected.ok(200)["decision_reason"],
        "Not enough experience yet"
    );
    let listed = app
        .get("/v1/mentor-applications?status=rejected", &admin)
        .await
        .ok(200)
        .clone();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(
        app.get("/v1/mentor-applications?status=applied", &admin)
            .await
            .ok(200)["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let unknown_path = application("x@example.com", &uuid::Uuid::now_v7().to_string(), None);
    let reply = app
        .call(
            "POST",
            "/v1/mentor-applications",
            None,
            Some(unknown_path),
            &[],
        )
        .await;
    assert_eq!(reply.problem(422)["errors"][0]["field"], "path_id");
}

async fn profiles_and_status_changes(app: TestApp) {
    let admin = app.admin().await;
    let (manager, manager_id) = app.person(&admin, "manager", "mia@example.com").await;
    let (student, student_id) = app.student(&admin, "stu@example.com").await;
    let path_id = web_path(&app, &admin).await;
    let (mentor, id) = activate(&app, &manager, "ada@example.com", &path_id, None).await;
    let (other, other_id) = activate(&app, &manager, "bo@example.com", &path_id, None).await;
    let url = format!("/v1/mentors/{id}");
    // Nobody else sees a mentor's profile or documents.
    for (token, target) in [
        (&other, &url),
        (&student, &url),
        (&mentor, &format!("/v1/mentors/{other_id}/documents")),
    ] {
        app.get(target, token).await.problem(404);
    }
    app.get("/v1/mentors", &mentor).await.problem(403);
    assert_eq!(
        app.get("/v1/mentors?status=active", &manager).await.ok(200)["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let etag = app.get(&url, &mentor).await.header("etag").unwrap();
    app.patch(&url, &mentor, &etag, json!({"requested_students": 51}))
        .await
        .problem(422);
    app.patch(&url, &mentor, &etag, json!({"time_zone": "Mars/Olympus"}))
        .await
        .problem(422);
    let edited = app
        .patch(
            &url,
            &mentor,
            &etag,
            json!({"requested_students": 5, "bio": "Rustacean", "time_zone": "America/Montreal"}),
        )
        .await;
    assert_eq!(edited.ok(200)["requested_students"], 5);
    app.patch(&url, &mentor, &etag, json!({"bio": "stale"}))
        .await
        .problem(412);
    app.patch(
        &url,
        &manager,
        &edited.header("etag").unwrap(),
        json!({"bio": "not theirs"}),
    )
    .await
    .problem(403);
    // Staff choose the mentor's manager, among active staff.
    let etag = edited.header("etag").unwrap();
    app.patch(&url, &mentor, &etag, json!({"manager_id": manager_id}))
        .await
        .problem(403);
    let not_staff = app
        .patch(&url, &manager, &etag, json!({"manager_id": student_id}))
        .await;
    assert_eq!(not_staff.problem(422)["errors"][0]["code"], "not_a_manager");
    let assigned = app
        .patch(&url, &admin, &etag, json!({"manager_id": manager_id}))
        .await;
    assert_eq!(assigned.ok(200)["manager_id"], manager_id.as_str());
    // Staff move the mentor, always with a reason.
    app.post(&format!("{url}/suspend"), &mentor, json!({"reason": "x"}))
        .await
        .problem(403);
    app.post(&format!("{url}/suspend"), &manager, json!({"reason": ""}))
        .await
        .problem(422);
    assert_eq!(
        app.post(
            &format!("{url}/suspend"),
            &manager,
            json!({"reason": "Complaints"})
        )
        .await
        .ok(200)["status"],
        "suspended"
    );
    app.post(
        &format!("{url}/suspend"),
        &manager,
        json!({"reason": "Again"}),
    )
    .await
    .problem(409);
    assert_eq!(
        app.post(
            &format!("{url}/reinstate"),
            &manager,
            json!({"reason": "Resolved"})
        )
        .await
        .ok(200)["status"],
        "active"
    );
    let off = app
        .post(
            &format!("{url}/offboard"),
            &admin,
            json!({"reason": "Left the program"}),
        )
        .await;
    assert_eq!(off.ok(200)["status_reason"], "Left the program");
    assert_eq!(
        app.post(
            &format!("{url}/reinstate"),
            &manager,
            json!({"reason": "Back"})
        )
        .await
        .problem(409)["code"],
        "transition_not_allowed"
    );
}

mentorship_tests::with_relay!(a_stranger_becomes_an_active_mentor);

on_both_databases!(
    ineligible_applications_can_only_be_rejected,
    profiles_and_status_changes,
);
