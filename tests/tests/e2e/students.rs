//! Students: enrollment (one, or a cohort with a safe retry), the invitation that sets their
//! password, reading and editing them, their progress, mentors' other paths, and assignment.

use std::time::Duration;

use mentorship_domain::mentors::MentorStatus;
use mentorship_tests::smtp::SmtpRelay;
use mentorship_tests::{PERSON_PASSWORD, Reply, TestApp, link_token, on_both_databases, token_of};
use serde_json::{Value, json};

const WITHIN: Duration = Duration::from_secs(10);

/// A path with `projects` projects, made through the API; returns its id and the projects' ids
/// in order.
async fn path_with_projects(
    app: &TestApp,
    admin: &str,
    title: &str,
    projects: usize,
) -> (String, Vec<String>) {
    let path = app
        .post(
            "/v1/paths",
            admin,
            json!({"title": title, "field": "web", "complexity": 2}),
        )
        .await;
    let path_id = path.ok(201)["id"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for i in 0..projects {
        let project = app
            .post(
                &format!("/v1/paths/{path_id}/projects"),
                admin,
                json!({"title": format!("{title} project {i}"), "difficulty": 1}),
            )
            .await;
        ids.push(project.ok(201)["id"].as_str().unwrap().to_owned());
    }
    (path_id, ids)
}

fn student_body(email: &str, path_id: &str, project_id: &str) -> Value {
    json!({
        "name": format!("Student {email}"), "email": email, "path_id": path_id,
        "project_id": project_id, "time_zone": "Europe/Paris", "session_length": 45,
    })
}

fn id_of(reply: &Reply, status: u16) -> String {
    reply.ok(status)["id"].as_str().unwrap().to_owned()
}

/// A cohort sent with extra headers (an `Idempotency-Key`).
async fn batch(app: &TestApp, token: &str, cohort: Value, headers: &[(&str, &str)]) -> Reply {
    app.call(
        "POST",
        "/v1/students/batch",
        Some(token),
        Some(cohort),
        headers,
    )
    .await
}

async fn count_students(app: &TestApp, admin: &str, path_id: &str) -> usize {
    let list = app
        .get(&format!("/v1/students?path_id={path_id}&limit=200"), admin)
        .await;
    list.ok(200)["items"].as_array().unwrap().len()
}

async fn a_student_is_enrolled_and_sets_a_password_from_the_invitation(
    app: TestApp,
    relay: SmtpRelay,
) {
    let admin = app.admin().await;
    let (manager, _) = app.person(&admin, "manager", "mia@example.com").await;
    let (path_id, projects) = path_with_projects(&app, &admin, "Web", 2).await;
    let enrolled = app
        .post(
            "/v1/students",
            &manager,
            student_body("linus@example.com", &path_id, &projects[0]),
        )
        .await;
    let student = enrolled.ok(201).clone();
    let id = student["id"].as_str().unwrap().to_owned();
    assert_eq!(
        enrolled.header("location"),
        Some(format!("/v1/students/{id}"))
    );
    assert_eq!(enrolled.header("etag").as_deref(), Some("\"1\""));
    assert_eq!(student["mentor_id"], Value::Null);
    assert_eq!(student["session_length"], 45);
    assert_eq!(
        student["allowed_weekdays"],
        json!([
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday"
        ]),
        "all seven days by default"
    );
    // No password yet: nothing logs in.
    let guess = json!({"email": "linus@example.com", "password": PERSON_PASSWORD});
    app.call("POST", "/v1/auth/login", None, Some(guess), &[])
        .await
        .problem(401);

    relay.wait_for("linus@example.com", 1, WITHIN).await;
    let mail = relay.last_to("linus@example.com");
    assert!(mail.contains("/invitation?token=ml_"), "{mail}");
    let token = link_token(&mail).unwrap();
    let accept = |token: &str| {
        let body = json!({"token": token, "new_password": "my own passphrase"});
        app.call("POST", "/v1/auth/invitation", None, Some(body), &[])
    };
    let pair = accept(&token).await.ok(200).clone();
    let own = app
        .get(&format!("/v1/students/{id}"), &token_of(&pair))
        .await;
    assert_eq!(own.ok(200)["email"], "linus@example.com");
    assert_eq!(
        accept(&token).await.problem(422)["errors"][0]["code"],
        "link_invalid",
        "an invitation works once"
    );
    app.login("linus@example.com", "my own passphrase").await;
    // A password reset link is not an invitation, nor the other way round.
    let reset = json!({"token": token, "new_password": "another passphrase"});
    app.call(
        "POST",
        "/v1/auth/password-reset/confirm",
        None,
        Some(reset),
        &[],
    )
    .await
    .problem(422);
}

async fn a_cohort_is_enrolled_each_on_its_own_and_once(app: TestApp, relay: SmtpRelay) {
    let admin = app.admin().await;
    let (path_id, projects) = path_with_projects(&app, &admin, "Data", 1).await;
    let (_, elsewhere) = path_with_projects(&app, &admin, "Elsewhere", 1).await;
    app.post(
        "/v1/students",
        &admin,
        student_body("taken@example.com", &path_id, &projects[0]),
    )
    .await
    .ok(201);
    let mut bad_rhythm = student_body("rhythm@example.com", &path_id, &projects[0]);
    bad_rhythm["time_zone"] = json!("Mars/Olympus");
    bad_rhythm["session_length"] = json!(50);
    let mut no_days = student_body("nodays@example.com", &path_id, &projects[0]);
    no_days["allowed_weekdays"] = json!([]);
    let mut tuesdays = student_body("ok2@example.com", &path_id, &projects[0]);
    tuesdays["allowed_weekdays"] = json!(["thursday", "tuesday"]);
    let cohort = json!({"students": [
        student_body("ok1@example.com", &path_id, &projects[0]),
        student_body("TAKEN@example.com", &path_id, &projects[0]),
        bad_rhythm,
        student_body("offpath@example.com", &path_id, &elsewhere[0]),
        no_days,
        tuesdays,
    ]});
    let key = [("idempotency-key", "cohort-2026-11")];
    let first = batch(&app, &admin, cohort.clone(), &key).await;
    let answer = first.ok(200).clone();
    assert_eq!(answer["enrolled"], 2, "{answer}");
    assert_eq!(answer["refused"], 4);
    let items = answer["items"].as_array().unwrap();
    let statuses: Vec<u64> = items
        .iter()
        .map(|i| i["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 409, 422, 422, 422, 201]);
    assert_eq!(items[0]["student"]["email"], "ok1@example.com");
    assert_eq!(items[1]["problem"]["code"], "already_exists");
    let fields = |i: usize| -> Vec<String> {
        items[i]["problem"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{}:{}",
                    e["field"].as_str().unwrap(),
                    e["code"].as_str().unwrap()
                )
            })
            .collect()
    };
    assert_eq!(
        fields(2),
        [
            "time_zone:unknown_time_zone",
            "session_length:invalid_session_length"
        ]
    );
    assert_eq!(fields(3), ["project_id:project_not_on_path"]);
    assert_eq!(fields(4), ["allowed_weekdays:no_weekday_allowed"]);
    assert_eq!(
        items[5]["student"]["allowed_weekdays"],
        json!(["tuesday", "thursday"])
    );
    assert_eq!(count_students(&app, &admin, &path_id).await, 3);

    // The retry of a timed-out call: the same answer, nothing enrolled twice.
    let again = batch(&app, &admin, cohort.clone(), &key).await;
    assert_eq!(again.ok(200), &answer);
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    assert_eq!(count_students(&app, &admin, &path_id).await, 3);
    // The key with another request.
    let other = json!({"students": [student_body("ok3@example.com", &path_id, &projects[0])]});
    let reused = batch(&app, &admin, other.clone(), &key).await;
    assert_eq!(reused.problem(422)["code"], "idempotency_key_reused");
    // Another caller's key of the same name is theirs.
    let (manager, _) = app.person(&admin, "manager", "mia@example.com").await;
    // A refusal of the caller's rights is not kept: the key stays free for a request they may
    // make.
    let staff = json!({"email": "new.admin@example.com", "name": "New Admin", "role": "admin",
                       "password": "a long passphrase"});
    let headers = [("idempotency-key", "refused-then-free")];
    let refused = app.call("POST", "/v1/users", Some(&manager), Some(staff), &headers);
    refused.await.problem(403);
    let free = json!({"students": [student_body("free@example.com", &path_id, &projects[0])]});
    let ran = batch(&app, &manager, free, &headers).await;
    assert_eq!(ran.status, 200, "{}", ran.body);
    assert_eq!(ran.header("idempotent-replayed"), None);
    let theirs = batch(&app, &manager, other, &key).await;
    assert_eq!(theirs.ok(200)["enrolled"], 1);
    assert!(theirs.header("idempotent-replayed").is_none());
    let malformed = [("idempotency-key", "two words")];
    let bad_key = batch(&app, &admin, cohort, &malformed).await;
    assert_eq!(bad_key.problem(400)["code"], "invalid_idempotency_key");

    // Each enrolled student has their own invitation.
    for email in ["ok1@example.com", "ok2@example.com", "ok3@example.com"] {
        relay.wait_for(email, 1, WITHIN).await;
    }
    assert!(
        relay
            .received()
            .iter()
            .all(|m| !m.to.iter().any(|t| t.contains("rhythm"))),
        "no invitation for a refused student"
    );

    // A cohort is 1 to 500 students.
    let empty = app
        .post("/v1/students/batch", &admin, json!({"students": []}))
        .await;
    assert_eq!(empty.problem(422)["errors"][0]["code"], "cohort_size");
    let crowd: Vec<Value> = (0..501)
        .map(|i| student_body(&format!("c{i}@example.com"), &path_id, &projects[0]))
        .collect();
    let too_many = app
        .post("/v1/students/batch", &admin, json!({"students": crowd}))
        .await;
    assert_eq!(too_many.problem(422)["errors"][0]["field"], "students");
    // Three of the first cohort, the other caller's, and the one after a refusal.
    assert_eq!(count_students(&app, &admin, &path_id).await, 5);
}

async fn scripts_enroll_with_a_scoped_key(app: TestApp) {
    let admin = app.admin().await;
    let (path_id, projects) = path_with_projects(&app, &admin, "Scripted", 1).await;
    let key_with = |scopes: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let made = app
                .post(
                    "/v1/api-keys",
                    &admin,
                    json!({"name": "enrollment", "scopes": scopes}),
                )
                .await;
            made.ok(201)["key_secret"].as_str().unwrap().to_owned()
        }
    };
    let writer = key_with(json!(["students:write"])).await;
    let reader = key_with(json!(["students:read"])).await;
    let cohort = json!({"students": [student_body("s1@example.com", &path_id, &projects[0])]});
    let refused = app
        .post("/v1/students/batch", &reader, cohort.clone())
        .await;
    assert_eq!(refused.problem(403)["code"], "insufficient_scope");
    let done = app.post("/v1/students/batch", &writer, cohort).await;
    let id = done.ok(200)["items"][0]["student"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.get(&format!("/v1/students/{id}"), &reader)
        .await
        .ok(200);
    app.get(&format!("/v1/students/{id}/progress"), &reader)
        .await
        .ok(200);
    let list = app.get("/v1/students", &writer).await;
    assert_eq!(list.problem(403)["code"], "insufficient_scope");
}

async fn students_are_listed_read_and_edited(app: TestApp) {
    let admin = app.admin().await;
    let (web, web_projects) = path_with_projects(&app, &admin, "Web", 2).await;
    let (data, data_projects) = path_with_projects(&app, &admin, "Data", 1).await;
    let mut web_ids = Vec::new();
    for i in 0..5 {
        let reply = app
            .post(
                "/v1/students",
                &admin,
                student_body(&format!("w{i}@example.com"), &web, &web_projects[0]),
            )
            .await;
        web_ids.push(id_of(&reply, 201));
    }
    app.post(
        "/v1/students",
        &admin,
        student_body("d0@example.com", &data, &data_projects[0]),
    )
    .await
    .ok(201);
    // Pages of two, each student once, in enrollment order.
    let mut seen = Vec::new();
    let mut next = format!("/v1/students?path_id={web}&limit=2");
    loop {
        let page = app.get(&next, &admin).await.ok(200).clone();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|s| s["id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(cursor) => next = format!("/v1/students?path_id={web}&limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, web_ids);

    // A mentor sees their students only.
    let (mentor, mentor_id) = app.mentor("meg@example.com").await;
    app.open_places(&mentor, &mentor_id, 5).await;
    let harness = app.harness_path().await;
    let project = app.first_project(&harness).await;
    let mine = id_of(
        &app.post(
            "/v1/students",
            &admin,
            student_body("mine@example.com", &harness, &project),
        )
        .await,
        201,
    );
    let (student, not_mine) = app.student(&admin, "notmine@example.com").await;
    app.assign(&admin, &mine, &mentor_id).await;
    app.get(&format!("/v1/students/{mine}"), &mentor)
        .await
        .ok(200);
    app.get(&format!("/v1/students/{not_mine}"), &mentor)
        .await
        .problem(404);
    let my_list = app.get("/v1/me/students", &mentor).await.ok(200).clone();
    let listed: Vec<&str> = my_list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [mine.as_str()]);
    let by_mentor = app
        .get(&format!("/v1/students?mentor_id={mentor_id}"), &admin)
        .await;
    assert_eq!(by_mentor.ok(200)["items"].as_array().unwrap().len(), 1);
    let unassigned = app
        .get(
            &format!("/v1/students?path_id={harness}&unassigned=true"),
            &admin,
        )
        .await;
    let unassigned: Vec<&str> = unassigned.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(unassigned, [not_mine.as_str()]);
    // A student reads themselves, not another.
    app.get(&format!("/v1/students/{not_mine}"), &student)
        .await
        .ok(200);
    app.get(&format!("/v1/students/{mine}"), &student)
        .await
        .problem(404);

    // Edits need the current ETag and keep to the rules.
    let url = format!("/v1/students/{}", web_ids[0]);
    let etag = app.get(&url, &admin).await.header("etag").unwrap();
    app.call(
        "PATCH",
        &url,
        Some(&admin),
        Some(json!({"session_length": 60})),
        &[],
    )
    .await
    .problem(428);
    let edited = app
        .patch(&url, &admin, &etag, json!({"time_zone": "America/New_York", "allowed_weekdays": ["friday"], "project_id": web_projects[1]}))
        .await;
    let edited_body = edited.ok(200).clone();
    assert_eq!(edited_body["time_zone"], "America/New_York");
    assert_eq!(edited_body["allowed_weekdays"], json!(["friday"]));
    assert_eq!(edited_body["project_id"], json!(web_projects[1]));
    assert_eq!(edited_body["session_length"], 45, "an absent field stays");
    app.patch(&url, &admin, &etag, json!({"session_length": 30}))
        .await
        .problem(412);
    let etag = edited.header("etag").unwrap();
    let refused = app
        .patch(&url, &admin, &etag, json!({"session_length": 90, "project_id": data_projects[0], "time_zone": "Nowhere/Land"}))
        .await;
    let mut codes: Vec<String> = refused.problem(422)["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    assert_eq!(
        codes,
        [
            "invalid_session_length",
            "project_not_on_path",
            "unknown_time_zone"
        ]
    );
    assert_eq!(
        app.get(&url, &admin).await.ok(200)["session_length"],
        45,
        "nothing changed"
    );
    app.patch(&url, &mentor, &etag, json!({"session_length": 30}))
        .await
        .problem(403);
}

async fn progress_moves_project_by_project(app: TestApp) {
    let admin = app.admin().await;
    let (mentor, mentor_id) = app.mentor("meg@example.com").await;
    app.open_places(&mentor, &mentor_id, 3).await;
    let path = app.harness_path().await;
    let first = app.first_project(&path).await;
    let second = app
        .post(
            &format!("/v1/paths/{path}/projects"),
            &admin,
            json!({"title": "Second", "difficulty": 2}),
        )
        .await;
    let second = id_of(&second, 201);
    let (student, id) = app.student(&admin, "stu@example.com").await;
    let url = format!("/v1/students/{id}/progress");
    let start = app.get(&url, &student).await.ok(200).clone();
    let items = start["items"].as_array().unwrap();
    let projects: Vec<&str> = items
        .iter()
        .map(|p| p["project_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        projects,
        [first.as_str(), second.as_str()],
        "every project of the path, in order"
    );
    assert!(
        items
            .iter()
            .all(|p| p["state"] == "not_started" && p["changed_at"].is_null())
    );

    let set = |token: &str, project: &str, state: &str| {
        set_progress(
            &app,
            token.to_owned(),
            format!("/v1/students/{id}/progress/{project}"),
            json!({"state": state}),
        )
    };
    // Before the assignment the mentor does not see the student.
    set(&mentor, &first, "in_progress").await.problem(404);
    app.assign(&admin, &id, &mentor_id).await;
    let moved = set(&mentor, &first, "in_progress").await;
    let first_state = &moved.ok(200)["items"][0];
    assert_eq!(first_state["state"], "in_progress");
    assert!(first_state["changed_at"].is_string());
    set(&admin, &first, "validated").await.ok(200);
    set(&student, &second, "submitted").await.problem(403);
    set(&mentor, &second, "finished").await.problem(422);
    let (_, elsewhere) = path_with_projects(&app, &admin, "Elsewhere", 1).await;
    set(&mentor, &elsewhere[0], "in_progress")
        .await
        .problem(404);
    let now = app.get(&url, &student).await.ok(200).clone();
    let states: Vec<&str> = now["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["validated", "not_started"]);
}

async fn set_progress(app: &TestApp, token: String, url: String, body: Value) -> Reply {
    app.call("PUT", &url, Some(&token), Some(body), &[]).await
}

async fn post_owned(app: &TestApp, url: String, token: String, body: Value) -> Reply {
    app.post(&url, &token, body).await
}

/// Moves a mentor's activation back by `months` (in the database: no API backdates it).
async fn activated_months_ago(app: &TestApp, mentor_id: &str, months: i64) {
    const SQL: &str = "UPDATE mentors SET activated_at = $2 WHERE user_id = $1";
    let at = chrono::Utc::now() - chrono::Duration::days(31 * months);
    let statement = mentorship_store::db::query(SQL)
        .bind(mentor_id.parse::<uuid::Uuid>().unwrap())
        .bind(at);
    app.store.execute(statement).await.unwrap();
}

async fn a_mentor_asks_for_another_path_after_three_months(app: TestApp) {
    let admin = app.admin().await;
    let (manager, manager_id) = app.person(&admin, "manager", "mia@example.com").await;
    let (mentor, mentor_id) = app.mentor("meg@example.com").await;
    let mentor_url = format!("/v1/mentors/{mentor_id}");
    let etag = app.get(&mentor_url, &admin).await.header("etag").unwrap();
    app.patch(
        &mentor_url,
        &admin,
        &etag,
        json!({"manager_id": manager_id}),
    )
    .await
    .ok(200);
    let (data, data_projects) = path_with_projects(&app, &admin, "Data", 1).await;
    let (ops, _) = path_with_projects(&app, &admin, "Ops", 1).await;
    let ask = |path_id: &str| {
        let url = format!("/v1/mentors/{mentor_id}/path-requests");
        post_owned(&app, url, mentor.clone(), json!({"path_id": path_id}))
    };
    let early = ask(&data).await;
    let problem = early.problem(409);
    assert_eq!(problem["code"], "too_early_for_another_path");
    let activated = app.get(&mentor_url, &mentor).await.body["activated_at"]
        .as_str()
        .unwrap()
        .to_owned();
    let activated: chrono::DateTime<chrono::Utc> = activated.parse().unwrap();
    // Three calendar months after the activation day in the mentor's zone (Paris: that day or
    // the next one in UTC terms).
    let day = activated
        .date_naive()
        .checked_add_months(chrono::Months::new(3))
        .unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains(&day.to_string()) || detail.contains(&day.succ_opt().unwrap().to_string()),
        "the refusal names the date: {problem}"
    );

    activated_months_ago(&app, &mentor_id, 4).await;
    let asked = ask(&data).await;
    let request = asked.ok(201).clone();
    assert_eq!(request["status"], "pending");
    assert_eq!(ask(&ops).await.problem(409)["code"], "path_request_pending");
    assert!(
        app.notification_kinds(&manager)
            .await
            .contains(&"path_requested".to_owned())
    );
    let pending = app.get("/v1/path-requests?status=pending", &manager).await;
    assert_eq!(pending.ok(200)["items"][0]["id"], request["id"]);

    let request_id = request["id"].as_str().unwrap();
    let approved = app
        .post(
            &format!("/v1/path-requests/{request_id}/approve"),
            &manager,
            json!({}),
        )
        .await;
    assert_eq!(approved.ok(200)["status"], "approved");
    assert_eq!(approved.body["decided_by"], json!(manager_id));
    assert!(
        app.notification_kinds(&mentor)
            .await
            .contains(&"path_request_approved".to_owned())
    );
    let twice = app
        .post(
            &format!("/v1/path-requests/{request_id}/decline"),
            &manager,
            json!({"reason": "No"}),
        )
        .await;
    assert_eq!(twice.problem(409)["code"], "path_request_not_pending");
    assert_eq!(
        ask(&data).await.problem(409)["code"],
        "path_already_approved"
    );

    // The approved path counts for assignment.
    app.open_places(&mentor, &mentor_id, 2).await;
    let student = app
        .post(
            "/v1/students",
            &admin,
            student_body("d@example.com", &data, &data_projects[0]),
        )
        .await;
    let student = id_of(&student, 201);
    app.assign(&manager, &student, &mentor_id).await;

    let declined = ask(&ops).await;
    let declined_id = id_of(&declined, 201);
    let decided = app
        .post(
            &format!("/v1/path-requests/{declined_id}/decline"),
            &manager,
            json!({"reason": "Ops is full this term."}),
        )
        .await;
    assert_eq!(decided.ok(200)["status"], "declined");
    assert_eq!(decided.body["reason"], "Ops is full this term.");
    let notifications = app.get("/v1/me/notifications?limit=200", &mentor).await;
    let told = notifications.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "path_request_declined")
        .expect("the mentor is told of the decline");
    assert!(
        told["body"]
            .as_str()
            .unwrap()
            .contains("Ops is full this term."),
        "{told}"
    );
    let mine = app
        .get(&format!("/v1/mentors/{mentor_id}/path-requests"), &mentor)
        .await;
    assert_eq!(mine.ok(200)["items"].as_array().unwrap().len(), 2);
}

/// Student `email` enrolled on the harness path by `admin`.
async fn enrolled(app: &TestApp, admin: &str, email: &str) -> String {
    let path = app.harness_path().await;
    let project = app.first_project(&path).await;
    id_of(
        &app.post("/v1/students", admin, student_body(email, &path, &project))
            .await,
        201,
    )
}

async fn mentor_profile(app: &TestApp, admin: &str, id: &str) -> Value {
    app.get(&format!("/v1/mentors/{id}"), admin)
        .await
        .ok(200)
        .clone()
}

async fn students_are_assigned_by_hand_and_by_the_rule(app: TestApp, relay: SmtpRelay) {
    let admin = app.admin().await;
    let (manager, _) = app.person(&admin, "manager", "mia@example.com").await;
    let (ann, ann_id) = app.mentor("ann@example.com").await;
    let (bob, bob_id) = app.mentor("bob@example.com").await;
    let (cy, cy_id) = app.mentor("cy@example.com").await;
    app.open_places(&ann, &ann_id, 1).await;
    app.open_places(&bob, &bob_id, 2).await;
    app.open_places(&cy, &cy_id, 5).await;
    app.set_mentor_status(&cy_id, MentorStatus::Suspended).await;
    let (student, s1) = app.student(&admin, "s1@example.com").await;
    let s2 = enrolled(&app, &admin, "s2@example.com").await;
    let s3 = enrolled(&app, &admin, "s3@example.com").await;
    let assign = |student: &str, mentor: &str| {
        let url = format!("/v1/students/{student}/assignments");
        post_owned(&app, url, manager.clone(), json!({"mentor_id": mentor}))
    };

    let first = assign(&s1, &ann_id).await;
    let assignment = first.ok(201).clone();
    assert_eq!(assignment["mentor_id"], json!(ann_id));
    assert_eq!(assignment["automatic"], false);
    assert!(assignment["ended_at"].is_null());
    let profile = mentor_profile(&app, &admin, &ann_id).await;
    assert_eq!(
        (
            profile["requested_students"].as_u64(),
            profile["assigned_students"].as_u64(),
            profile["remaining"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(
        assign(&s2, &ann_id).await.problem(409)["code"],
        "mentor_full"
    );
    assert_eq!(
        assign(&s1, &ann_id).await.problem(409)["code"],
        "already_assigned"
    );
    assert_eq!(
        assign(&s2, &cy_id).await.problem(409)["code"],
        "mentor_not_active"
    );
    let (_, other_projects) = path_with_projects(&app, &admin, "Other", 1).await;
    let other_path = app
        .get(&format!("/v1/projects/{}", other_projects[0]), &admin)
        .await
        .body["path_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let off_path = id_of(
        &app.post(
            "/v1/students",
            &admin,
            student_body("off@example.com", &other_path, &other_projects[0]),
        )
        .await,
        201,
    );
    assert_eq!(
        assign(&off_path, &bob_id).await.problem(409)["code"],
        "path_not_approved"
    );
    let nobody = uuid::Uuid::now_v7().to_string();
    assert_eq!(
        assign(&s2, &nobody).await.problem(422)["errors"][0]["code"],
        "unknown_mentor"
    );
    assign(&nobody, &bob_id).await.problem(404);
    // Only staff assign.
    app.post(
        &format!("/v1/students/{s2}/assignments"),
        &ann,
        json!({"mentor_id": bob_id}),
    )
    .await
    .problem(403);

    // The rule: a mentor never assigned a student comes first (Bob), Ann is full, Cy suspended.
    let automatic = app
        .call(
            "POST",
            &format!("/v1/students/{s2}/assignments/automatic"),
            Some(&manager),
            None,
            &[],
        )
        .await;
    assert_eq!(automatic.ok(201)["mentor_id"], json!(bob_id));
    assert_eq!(automatic.body["automatic"], true);

    // Reassignment ends the current one; the history keeps both.
    assign(&s1, &bob_id).await.ok(201);
    let history = app
        .get(&format!("/v1/students/{s1}/assignments"), &student)
        .await;
    let history = history.ok(200).as_array().unwrap().clone();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0]["mentor_id"], json!(ann_id));
    assert!(history[0]["ended_at"].is_string(), "{history:?}");
    assert_eq!(history[1]["mentor_id"], json!(bob_id));
    assert!(history[1]["ended_at"].is_null());
    assert_eq!(
        app.get(&format!("/v1/students/{s1}"), &student).await.body["mentor_id"],
        json!(bob_id)
    );
    // Ann no longer sees the student she left.
    app.get(&format!("/v1/students/{s1}"), &ann)
        .await
        .problem(404);
    assert_eq!(mentor_profile(&app, &admin, &ann_id).await["remaining"], 1);

    // Bob lowers his request below his count: allowed, and only new assignments stop.
    app.open_places(&bob, &bob_id, 1).await;
    let bob_now = mentor_profile(&app, &admin, &bob_id).await;
    assert_eq!(
        (
            bob_now["assigned_students"].as_u64(),
            bob_now["remaining"].as_u64()
        ),
        (Some(2), Some(0))
    );
    let listed = app.get("/v1/me/students", &bob).await;
    assert_eq!(listed.ok(200)["items"].as_array().unwrap().len(), 2);
    // Ann has the one place left now.
    let last = app
        .call(
            "POST",
            &format!("/v1/students/{s3}/assignments/automatic"),
            Some(&manager),
            None,
            &[],
        )
        .await;
    assert_eq!(last.ok(201)["mentor_id"], json!(ann_id));
    let s4 = enrolled(&app, &admin, "s4@example.com").await;
    let none = app
        .call(
            "POST",
            &format!("/v1/students/{s4}/assignments/automatic"),
            Some(&manager),
            None,
            &[],
        )
        .await;
    assert_eq!(none.problem(409)["code"], "no_mentor_available");

    // Everyone concerned is told, by notification and by email.
    assert!(
        app.notification_kinds(&student)
            .await
            .contains(&"student_assigned".to_owned())
    );
    let ann_kinds = app.notification_kinds(&ann).await;
    assert_eq!(
        ann_kinds
            .iter()
            .filter(|k| *k == "student_assigned")
            .count(),
        3,
        "assigned, left, assigned: {ann_kinds:?}"
    );
    relay.wait_for("s1@example.com", 3, WITHIN).await;
    let mail = relay.last_to("s1@example.com");
    assert!(
        mail.contains("Bob") || mail.contains("bob@example.com"),
        "the student's email names the mentor: {mail}"
    );
    relay.wait_for("bob@example.com", 1, WITHIN).await;
}

on_both_databases!(
    scripts_enroll_with_a_scoped_key,
    students_are_listed_read_and_edited,
    progress_moves_project_by_project,
    a_mentor_asks_for_another_path_after_three_months,
);

mentorship_tests::with_relay!(
    a_student_is_enrolled_and_sets_a_password_from_the_invitation,
    a_cohort_is_enrolled_each_on_its_own_and_once,
    students_are_assigned_by_hand_and_by_the_rule,
);
