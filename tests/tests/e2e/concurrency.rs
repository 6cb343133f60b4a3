//! The concurrency suite: every state change of onboarding raced 50 times, from two server
//! processes on one PostgreSQL database (one process on SQLite, whose file has one writer). Each
//! race must have exactly one winner; every loser gets 409 naming the rule and causes nothing:
//! no notification, no audit row. And no mentor may end in a state the API cannot leave.

use futures_util::future::join_all;
use mentorship_tests::cluster::Cluster;
use mentorship_tests::forms::{send_all_documents, verify_all_documents};
use mentorship_tests::{Http, PERSON_PASSWORD, Reply, token_of};
use serde_json::{Value, json};

/// Requests in each race.
const RACERS: usize = 50;

/// The people and the path of a race, made through the first server.
struct Scene {
    admin: String,
    manager: String,
}

async fn scene(cluster: &Cluster) -> Scene {
    let http = &cluster.servers[0];
    let admin = http.admin().await;
    let (manager, _) = http.person(&admin, "manager", "mia@example.com").await;
    Scene { admin, manager }
}

/// An applicant who applied through the API; returns their token and id.
async fn applicant(http: &Http, scene: &Scene, email: &str) -> (String, String) {
    let path = http
        .post(
            "/v1/paths",
            &scene.admin,
            json!({"title": format!("Path of {email}"), "field": "web", "complexity": 2}),
        )
        .await;
    let path_id = path.ok(201)["id"].as_str().unwrap().to_owned();
    let body = json!({
        "name": "Grace Hopper", "email": email, "password": PERSON_PASSWORD, "path_id": path_id,
        "experience_years": 6, "field_years": 3, "legal_status": "freelancer", "country": "FR",
        "right_to_work_attested": true,
    });
    let applied = http
        .call("POST", "/v1/mentor-applications", None, Some(body), &[])
        .await;
    let id = applied.ok(201)["id"].as_str().unwrap().to_owned();
    (token_of(&http.login(email, PERSON_PASSWORD).await), id)
}

/// An accepted applicant with their four documents sent.
async fn with_documents(http: &Http, scene: &Scene, email: &str) -> (String, String) {
    let (token, id) = applicant(http, scene, email).await;
    http.call(
        "POST",
        &format!("/v1/mentor-applications/{id}/accept"),
        Some(&scene.manager),
        None,
        &[],
    )
    .await
    .ok(200);
    send_all_documents(http, &token, &id).await;
    (token, id)
}

/// Sends `RACERS` requests at once, the `i`-th made by `request(i)` and sent to server `i % n`.
async fn race<F>(cluster: &Cluster, request: F) -> Vec<Reply>
where
    F: Fn(usize) -> (String, String, Option<Value>),
{
    let sends = (0..RACERS).map(|i| {
        let (path, token, body) = request(i);
        async move {
            cluster
                .server(i)
                .call("POST", &path, Some(&token), body, &[])
                .await
        }
    });
    join_all(sends).await
}

/// Asserts `wins` 2xx answers and a 409 with a rule's code for every other; returns the winners'
/// request indexes.
#[track_caller]
fn winners(replies: &[Reply], wins: usize) -> Vec<usize> {
    let won: Vec<usize> = (0..replies.len())
        .filter(|i| (200..300).contains(&replies[*i].status))
        .collect();
    assert_eq!(won.len(), wins, "winners: {won:?}");
    for (i, reply) in replies.iter().enumerate() {
        if !won.contains(&i) {
            let code = reply.problem(409)["code"].as_str().unwrap_or_default();
            assert!(!code.is_empty(), "a loser's 409 names its rule");
        }
    }
    won
}

fn count(items: &[String], wanted: &str) -> usize {
    items.iter().filter(|k| *k == wanted).count()
}

async fn audited(cluster: &Cluster, object_id: &str) -> Vec<String> {
    mentorship_store::audit::actions_for(&cluster.store, object_id.parse().unwrap())
        .await
        .unwrap()
}

async fn accept_and_reject_race(cluster: Cluster) {
    let scene = scene(&cluster).await;
    let http = &cluster.servers[0];
    let (token, id) = applicant(http, &scene, "ada@example.com").await;
    let replies = race(&cluster, |i| {
        let (step, body) = if i.is_multiple_of(2) {
            ("accept", None)
        } else {
            ("reject", Some(json!({"reason": "Not this time."})))
        };
        let path = format!("/v1/mentor-applications/{id}/{step}");
        (path, scene.manager.clone(), body)
    })
    .await;
    let won = winners(&replies, 1);
    let accepted = won[0].is_multiple_of(2);
    let status = http
        .get(&format!("/v1/mentor-applications/{id}"), &token)
        .await;
    let expected = if accepted { "accepted" } else { "rejected" };
    assert_eq!(status.ok(200)["status"], expected);
    let kinds = http.notification_kinds(&token).await;
    assert_eq!(count(&kinds, "application_accepted"), usize::from(accepted));
    assert_eq!(
        count(&kinds, "application_rejected"),
        usize::from(!accepted)
    );
    let actions = audited(&cluster, &id).await;
    assert_eq!(
        count(&actions, "mentor.accepted") + count(&actions, "mentor.rejected"),
        1
    );
}

async fn contract_signature_race(cluster: Cluster) {
    let scene = scene(&cluster).await;
    let http = &cluster.servers[0];
    let (token, id) = with_documents(http, &scene, "ada@example.com").await;
    verify_all_documents(http, &scene.manager, &id).await;
    let replies = race(&cluster, |_| {
        let body = json!({"full_name": "Grace Hopper", "accept_terms": true});
        (
            format!("/v1/mentors/{id}/contract/sign"),
            token.clone(),
            Some(body),
        )
    })
    .await;
    winners(&replies, 1);
    let mentor = http.get(&format!("/v1/mentors/{id}"), &token).await;
    let mentor = mentor.ok(200);
    assert_eq!(mentor["status"], "active");
    let code = mentor["referral_code"].as_str().unwrap();
    let winner_code =
        replies.iter().find(|r| r.status == 200).unwrap().body["referral_code"].clone();
    assert_eq!(
        winner_code,
        json!(code),
        "the code handed out is the one kept"
    );
    let kinds = http.notification_kinds(&token).await;
    assert_eq!(count(&kinds, "mentor_activated"), 1);
    assert_eq!(count(&audited(&cluster, &id).await, "mentor.activated"), 1);
}

async fn verify_and_reject_race(cluster: Cluster) {
    let scene = scene(&cluster).await;
    let http = &cluster.servers[0];
    let (token, id) = with_documents(http, &scene, "ada@example.com").await;
    let replies = race(&cluster, |i| {
        let (step, body) = if i.is_multiple_of(2) {
            ("verify", None)
        } else {
            ("reject", Some(json!({"reason": "Unreadable scan"})))
        };
        let path = format!("/v1/mentors/{id}/documents/identity/{step}");
        (path, scene.manager.clone(), body)
    })
    .await;
    let won = winners(&replies, 1);
    let verified = won[0].is_multiple_of(2);
    let list = http
        .get(&format!("/v1/mentors/{id}/documents"), &token)
        .await;
    let identity = list.ok(200)["documents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "identity")
        .unwrap()
        .clone();
    let expected = if verified { "verified" } else { "rejected" };
    assert_eq!(identity["status"], expected);
    let kinds = http.notification_kinds(&token).await;
    assert_eq!(count(&kinds, "document_rejected"), usize::from(!verified));
    let documents = mentorship_store::documents::current(&cluster.store, id.parse().unwrap())
        .await
        .unwrap();
    let doc = documents
        .iter()
        .find(|d| d.kind == mentorship_domain::mentors::DocumentKind::Identity)
        .unwrap();
    let actions = audited(&cluster, &doc.id.to_string()).await;
    assert_eq!(
        count(&actions, "document.verified") + count(&actions, "document.rejected"),
        1,
        "{actions:?}"
    );
}

async fn four_documents_race(cluster: Cluster) {
    let scene = scene(&cluster).await;
    let http = &cluster.servers[0];
    let (token, id) = with_documents(http, &scene, "ada@example.com").await;
    let kinds = [
        "identity",
        "criminal_record",
        "diploma",
        "company_registration",
    ];
    let replies = race(&cluster, |i| {
        let path = format!("/v1/mentors/{id}/documents/{}/verify", kinds[i % 4]);
        (path, scene.manager.clone(), None)
    })
    .await;
    let won = winners(&replies, 4);
    let mut won_kinds: Vec<usize> = won.iter().map(|i| i % 4).collect();
    won_kinds.sort_unstable();
    assert_eq!(won_kinds, [0, 1, 2, 3], "one verification per document");
    let mentor = http.get(&format!("/v1/mentors/{id}"), &token).await;
    assert_eq!(mentor.ok(200)["status"], "contract_ready");
    let told = http.notification_kinds(&token).await;
    assert_eq!(count(&told, "contract_ready"), 1);
    assert_eq!(
        count(&audited(&cluster, &id).await, "mentor.contract_ready"),
        1
    );
    // The mentor can go on: the contract is there to sign.
    http.get(&format!("/v1/mentors/{id}/contract"), &token)
        .await
        .ok(200);
}

/// A path with one project, made through the first server; returns both ids.
async fn path_with_project(http: &Http, scene: &Scene, title: &str) -> (String, String) {
    let path = http
        .post(
            "/v1/paths",
            &scene.admin,
            json!({"title": title, "field": "web", "complexity": 1}),
        )
        .await;
    let path_id = path.ok(201)["id"].as_str().unwrap().to_owned();
    let project = http
        .post(
            &format!("/v1/paths/{path_id}/projects"),
            &scene.admin,
            json!({"title": format!("{title} project"), "difficulty": 1}),
        )
        .await;
    (path_id, project.ok(201)["id"].as_str().unwrap().to_owned())
}

/// `count` students of the path, enrolled as one cohort; returns their ids.
async fn cohort(
    http: &Http,
    scene: &Scene,
    (path_id, project_id): &(String, String),
    count: usize,
) -> Vec<String> {
    let students: Vec<Value> = (0..count)
        .map(|i| {
            json!({
                "name": format!("Student {i}"), "email": format!("{path_id}.{i}@example.com"),
                "path_id": path_id, "project_id": project_id, "time_zone": "Europe/Paris",
                "session_length": 30,
            })
        })
        .collect();
    let reply = http
        .post(
            "/v1/students/batch",
            &scene.manager,
            json!({"students": students}),
        )
        .await;
    let answer = reply.ok(200);
    assert_eq!(answer["enrolled"], json!(count), "{answer}");
    answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["student"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// An active mentor of the path who asked for `places` students. Applied through the API; made
/// active in the database, as the races are about assignment, not onboarding.
async fn active_mentor(cluster: &Cluster, path_id: &str, email: &str, places: i64) -> String {
    const ACTIVATE: &str = "UPDATE mentors SET status = 'active', activated_at = $2, \
                            requested_students = $3, version = version + 1 WHERE user_id = $1";
    let body = json!({
        "name": email, "email": email, "password": PERSON_PASSWORD, "path_id": path_id,
        "experience_years": 6, "field_years": 3, "legal_status": "freelancer", "country": "FR",
        "right_to_work_attested": true,
    });
    let applied = cluster.servers[0]
        .call("POST", "/v1/mentor-applications", None, Some(body), &[])
        .await;
    let id: uuid::Uuid = applied.ok(201)["id"].as_str().unwrap().parse().unwrap();
    let activate = mentorship_store::db::query(ACTIVATE)
        .bind(id)
        .bind(chrono::Utc::now())
        .bind(places);
    assert_eq!(cluster.store.execute(activate).await.unwrap(), 1);
    id.to_string()
}

async fn current_assignments(cluster: &Cluster, mentor_id: &str) -> i64 {
    const SQL: &str = "SELECT COUNT(*) FROM assignments WHERE mentor_id = $1 AND ended_at IS NULL";
    let id: uuid::Uuid = mentor_id.parse().unwrap();
    cluster
        .store
        .scalar(mentorship_store::db::query(SQL).bind(id))
        .await
        .unwrap()
}

/// Managers fill a mentor's last place at once, each with another student: one wins.
async fn last_place_race(cluster: Cluster) {
    let scene = scene(&cluster).await;
    let http = &cluster.servers[0];
    let path = path_with_project(http, &scene, "Last place").await;
    let mentor_id = active_mentor(&cluster, &path.0, "meg@example.com", 1).await;
    let students = cohort(http, &scene, &path, RACERS).await;
    let replies = race(&cluster, |i| {
        (
            format!("/v1/students/{}/assignments", students[i]),
            scene.manager.clone(),
            Some(json!({"mentor_id": mentor_id})),
        )
    })
    .await;
    winners(&replies, 1);
    assert!(
        replies
            .iter()
            .filter(|r| r.status == 409)
            .all(|r| r.body["code"] == "mentor_full"),
        "every loser is told the mentor is full"
    );
    assert_eq!(current_assignments(&cluster, &mentor_id).await, 1);
    let mentor = http
        .get(&format!("/v1/mentors/{mentor_id}"), &scene.manager)
        .await;
    assert_eq!(mentor.ok(200)["remaining"], 0);
}

/// Automatic assignments racing from every server: 200 students for 150 places among five
/// mentors. Every place is taken once, no mentor goes past their request, no student has two
/// current mentors, and the 50 left over are told no mentor is available.
async fn automatic_assignment_race(cluster: Cluster) {
    const STUDENTS: usize = 200;
    const MENTORS: usize = 5;
    const PLACES: i64 = 30;
    let scene = scene(&cluster).await;
    let http = &cluster.servers[0];
    let path = path_with_project(http, &scene, "Automatic").await;
    let mut mentors = Vec::new();
    for m in 0..MENTORS {
        mentors.push(
            active_mentor(&cluster, &path.0, &format!("mentor{m}@example.com"), PLACES).await,
        );
    }
    let students = cohort(http, &scene, &path, STUDENTS).await;
    let cluster = &cluster;
    let sends = students.iter().enumerate().map(|(i, student)| {
        let url = format!("/v1/students/{student}/assignments/automatic");
        let manager = scene.manager.clone();
        async move {
            cluster
                .server(i)
                .call("POST", &url, Some(&manager), None, &[])
                .await
        }
    });
    let replies = join_all(sends).await;
    let placed = replies.iter().filter(|r| r.status == 201).count();
    let places = usize::try_from(PLACES).unwrap() * MENTORS;
    assert_eq!(placed, places, "every place taken once");
    for reply in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(reply.problem(409)["code"], "no_mentor_available");
    }
    for mentor in &mentors {
        assert_eq!(
            current_assignments(cluster, mentor).await,
            PLACES,
            "mentor {mentor}"
        );
    }
    const TWICE: &str = "SELECT COUNT(*) FROM (SELECT student_id FROM assignments \
                         WHERE ended_at IS NULL GROUP BY student_id HAVING COUNT(*) > 1) t";
    let twice: i64 = cluster
        .store
        .scalar(mentorship_store::db::query(TWICE))
        .await
        .unwrap();
    assert_eq!(twice, 0, "a student with two current mentors");
}

/// The same creating request, with the same Idempotency-Key, from every server at once (a
/// client retrying impatiently): it runs once; the others get its answer or "still running".
async fn idempotency_key_race(cluster: Cluster) {
    let scene = scene(&cluster).await;
    let http = &cluster.servers[0];
    let (path_id, project_id) = path_with_project(http, &scene, "Retried").await;
    let body = json!({
        "name": "Retried Student", "email": "retried@example.com", "path_id": path_id,
        "project_id": project_id, "time_zone": "Europe/Paris", "session_length": 60,
    });
    let cluster = &cluster;
    let sends = (0..RACERS).map(|i| {
        let (body, manager) = (body.clone(), scene.manager.clone());
        async move {
            let key = [("idempotency-key", "enroll-retried-student")];
            cluster
                .server(i)
                .call("POST", "/v1/students", Some(&manager), Some(body), &key)
                .await
        }
    });
    let replies = join_all(sends).await;
    let created: Vec<&Reply> = replies.iter().filter(|r| r.status == 201).collect();
    assert!(!created.is_empty());
    let ran: Vec<&&Reply> = created
        .iter()
        .filter(|r| r.header("idempotent-replayed").is_none())
        .collect();
    assert_eq!(ran.len(), 1, "the request ran once");
    assert!(
        created.iter().all(|r| r.body["id"] == ran[0].body["id"]),
        "replays answer the same student"
    );
    for reply in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(reply.problem(409)["code"], "idempotency_key_in_use");
        assert_eq!(reply.header("retry-after").as_deref(), Some("1"));
    }
    const SQL: &str = "SELECT COUNT(*) FROM users WHERE email = 'retried@example.com'";
    let accounts: i64 = cluster
        .store
        .scalar(mentorship_store::db::query(SQL))
        .await
        .unwrap();
    assert_eq!(accounts, 1);
}

/// The Monday of the week after next, at 00:00 in Paris.
/// Assigns a student to a mentor, as the scene's manager.
async fn assign(http: &Http, scene: &Scene, student: &str, mentor: &str) {
    http.post(
        &format!("/v1/students/{student}/assignments"),
        &scene.manager,
        json!({"mentor_id": mentor}),
    )
    .await
    .ok(201);
}

fn monday_in_two_weeks() -> chrono::DateTime<chrono::Utc> {
    use chrono::{Datelike, TimeZone};
    let paris = chrono_tz::Europe::Paris;
    let today = chrono::Utc::now().with_timezone(&paris).date_naive();
    let monday = today - chrono::Days::new(u64::from(today.weekday().num_days_from_monday()))
        + chrono::Days::new(14);
    paris
        .from_local_datetime(&monday.and_hms_opt(0, 0, 0).unwrap())
        .earliest()
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// 1,000 bookings for 100 students (10 mentors of 10) over 10 weeks, fired at once from every
/// server through 256 connections, each retried once with its Idempotency-Key after its answer:
/// each student asks for 5 weeks twice (Monday and Wednesday), at an hour of their own, so the
/// only rule two bookings can break is the weekly one. Exactly one session per student-week;
/// every other answer 409 `week_already_taken`; each retry gets its first answer again.
async fn weekly_rule_race(cluster: Cluster) {
    const MENTORS: usize = 10;
    const PER_MENTOR: usize = 10;
    const ASKS: usize = 10;
    let scene = scene(&cluster).await;
    let http = &cluster.servers[0];
    let path = path_with_project(http, &scene, "Weekly").await;
    let students = cohort(http, &scene, &path, MENTORS * PER_MENTOR).await;
    for m in 0..MENTORS {
        let mentor = active_mentor(&cluster, &path.0, &format!("weekly{m}@example.com"), 10).await;
        for student in &students[m * PER_MENTOR..(m + 1) * PER_MENTOR] {
            assign(http, &scene, student, &mentor).await;
        }
    }
    let first_monday = monday_in_two_weeks();
    let clients: Vec<Http> = cluster
        .servers
        .iter()
        .map(|s| s.with_connections(256))
        .collect();
    let clients = &clients;
    let (manager, project) = (&scene.manager, &path.1);
    let sends = students.iter().enumerate().flat_map(|(s, student)| {
        (0..ASKS).map(move |j| {
            // Weeks s..s+4 (of 10), each asked on Monday, then on Wednesday; the hour is the
            // student's own among their mentor's students.
            let week = u32::try_from((s + j % 5) % 10).unwrap();
            let day = if j < 5 { 0 } else { 2 };
            let hour = 8 + i64::try_from(s % PER_MENTOR).unwrap();
            let start = first_monday
                + chrono::Duration::weeks(i64::from(week))
                + chrono::Duration::days(day)
                + chrono::Duration::hours(hour);
            let body = json!({"student_id": student, "start": start, "project_id": project});
            let key = format!("weekly-{s}-{j}");
            let client = &clients[(s * ASKS + j) % clients.len()];
            async move {
                let headers = [("idempotency-key", key.as_str())];
                let send = || {
                    client.call(
                        "POST",
                        "/v1/sessions",
                        Some(manager),
                        Some(body.clone()),
                        &headers,
                    )
                };
                let first = send().await;
                let retry = send().await;
                (student.clone(), week, first, retry)
            }
        })
    });
    let answers = join_all(sends).await;
    let mut won = std::collections::HashSet::new();
    for (student, week, first, retry) in &answers {
        assert_eq!(
            first.status, retry.status,
            "a retry answers as the first: {}",
            retry.body
        );
        match first.status {
            201 => {
                assert_eq!(retry.header("idempotent-replayed").as_deref(), Some("true"));
                assert_eq!(first.body["id"], retry.body["id"]);
                assert!(
                    won.insert((student.clone(), *week)),
                    "two sessions won {student} week {week}"
                );
            }
            _ => assert_eq!(
                first.problem(409)["code"],
                "week_already_taken",
                "{}",
                first.body
            ),
        }
    }
    assert_eq!(
        won.len(),
        MENTORS * PER_MENTOR * 5,
        "one session per student-week asked for"
    );
    const SESSIONS: &str = "SELECT COUNT(*) FROM sessions";
    let stored: i64 = cluster
        .store
        .scalar(mentorship_store::db::query(SESSIONS))
        .await
        .unwrap();
    assert_eq!(
        stored,
        i64::try_from(won.len()).unwrap(),
        "nothing stored twice"
    );
    const TWICE: &str = "SELECT COUNT(*) FROM (SELECT student_id FROM sessions \
                         GROUP BY student_id, week HAVING COUNT(*) > 1) t";
    let twice: i64 = cluster
        .store
        .scalar(mentorship_store::db::query(TWICE))
        .await
        .unwrap();
    assert_eq!(twice, 0);
}

/// Runs each race on PostgreSQL with two server processes and on SQLite with one.
/// A session of `student` with `mentor` a month ago, booked by the scene's manager, moved back
/// as time would, and completed (no notes yet): its id.
async fn completed_a_month_ago(
    cluster: &Cluster,
    scene: &Scene,
    (student, project): (&str, &str),
    mentor: &str,
) -> uuid::Uuid {
    use mentorship_domain::sessions::Outcome;
    let a_month_ago = chrono::Utc::now() - chrono::Duration::days(31);
    let start = monday_in_two_weeks() + chrono::Duration::hours(9);
    let body = json!({"student_id": student, "start": start, "project_id": project});
    let booked = cluster.servers[0]
        .post("/v1/sessions", &scene.manager, body)
        .await;
    let id: uuid::Uuid = booked.ok(201)["id"].as_str().unwrap().parse().unwrap();
    const MOVE: &str = "UPDATE sessions SET start_at = $2, end_at = $3, week = $4 WHERE id = $1";
    let week = mentorship_domain::weeks::WeekKey::of(a_month_ago, chrono_tz::Europe::Paris);
    let moved = mentorship_store::db::query(MOVE)
        .bind(id)
        .bind(a_month_ago)
        .bind(a_month_ago + chrono::Duration::minutes(30))
        .bind(week.to_string());
    assert_eq!(cluster.store.execute(moved).await.unwrap(), 1);
    let by: uuid::Uuid = mentor.parse().unwrap();
    mentorship_store::sessions::record_session_outcome(
        &cluster.store,
        id,
        Outcome::Completed,
        by,
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    id
}

/// The payable items of `count` mentors in last month (Paris): each an active mentor with one
/// student and one completed session with notes, as people would record it, moved back in time.
async fn paid_last_month(cluster: &Cluster, scene: &Scene, count: usize) -> Vec<String> {
    let http = &cluster.servers[0];
    let path = path_with_project(http, scene, "Paid").await;
    let students = cohort(http, scene, &path, count).await;
    let mut mentors = Vec::with_capacity(count);
    for (m, student) in students.iter().enumerate() {
        let mentor = active_mentor(cluster, &path.0, &format!("paid{m}@example.com"), 1).await;
        assign(http, scene, student, &mentor).await;
        let id = completed_a_month_ago(cluster, scene, (student, &path.1), &mentor).await;
        let by: uuid::Uuid = mentor.parse().unwrap();
        mentorship_store::sessions::write_notes(
            &cluster.store,
            id,
            "Good",
            None,
            by,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        mentors.push(mentor);
    }
    mentors
}

/// Ten referrals of one mentor qualifying at once (their mentors' notes written together,
/// through every server): each qualifies once, numbered 1..10 in the order of the instants.
async fn referral_numbers_race(cluster: Cluster) {
    const REFERRED: usize = 10;
    let scene = scene(&cluster).await;
    let http = &cluster.servers[0];
    let path = path_with_project(http, &scene, "Referred").await;
    let referrer = active_mentor(&cluster, &path.0, "referrer@example.com", 1).await;
    let students = cohort(http, &scene, &path, REFERRED).await;
    let mut notes = Vec::with_capacity(REFERRED);
    for (m, student) in students.iter().enumerate() {
        let email = format!("referred{m}@example.com");
        let mentor = active_mentor(&cluster, &path.0, &email, 1).await;
        const REFER: &str = "UPDATE mentors SET referrer_id = $2 WHERE user_id = $1";
        let refer = mentorship_store::db::query(REFER)
            .bind(mentor.parse::<uuid::Uuid>().unwrap())
            .bind(referrer.parse::<uuid::Uuid>().unwrap());
        assert_eq!(cluster.store.execute(refer).await.unwrap(), 1);
        assign(http, &scene, student, &mentor).await;
        let session = completed_a_month_ago(&cluster, &scene, (student, &path.1), &mentor).await;
        let token = token_of(&http.login(&email, PERSON_PASSWORD).await);
        notes.push((session, token));
    }
    let writes = notes.iter().enumerate().map(|(i, (session, token))| {
        let url = format!("/v1/sessions/{session}/notes");
        let server = cluster.server(i);
        async move {
            server
                .call(
                    "PUT",
                    &url,
                    Some(token),
                    Some(json!({"summary": "Done"})),
                    &[],
                )
                .await
        }
    });
    for reply in join_all(writes).await {
        reply.ok(200);
    }
    const IN_ORDER: &str = "SELECT nth FROM referral_qualifications WHERE referrer_id = $1 \
                            ORDER BY qualified_at, referred_id";
    let numbers: Vec<i64> = cluster
        .store
        .scalars(
            mentorship_store::db::query(IN_ORDER).bind(referrer.parse::<uuid::Uuid>().unwrap()),
        )
        .await
        .unwrap();
    let expected: Vec<i64> = (1..=i64::try_from(REFERRED).unwrap()).collect();
    assert_eq!(
        numbers, expected,
        "one qualification each, numbered as they happened"
    );
}

/// The month of an instant in the platform zone, `YYYY-MM`.
fn month_of(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono_tz::Europe::Paris)
        .format("%Y-%m")
        .to_string()
}

/// Issuing last month from every server at once, 50 times: one statement per mentor, numbered
/// 1..n without a gap, one line per item, one notification per statement; one mentor's
/// statement issued by 50 requests at once: one 201.
async fn statement_numbers_race(cluster: Cluster) {
    const MENTORS: usize = 8;
    let scene = scene(&cluster).await;
    let mentors = paid_last_month(&cluster, &scene, MENTORS).await;
    let month = month_of(chrono::Utc::now() - chrono::Duration::days(31));
    // One mentor's statement, from everyone at once.
    let single = race(&cluster, |_| {
        (
            format!("/v1/mentors/{}/statements", mentors[0]),
            scene.manager.clone(),
            Some(json!({"month": month})),
        )
    })
    .await;
    let won: Vec<_> = single.iter().filter(|r| r.status == 201).collect();
    assert_eq!(won.len(), 1, "one statement issued");
    for reply in single.iter().filter(|r| r.status != 201) {
        assert_eq!(reply.problem(409)["code"], "statement_already_issued");
    }
    // The whole month, from everyone at once.
    let replies = race(&cluster, |_| {
        (
            "/v1/statements/issue-month".into(),
            scene.manager.clone(),
            Some(json!({"month": month})),
        )
    })
    .await;
    let mut issued = 0;
    for reply in &replies {
        for item in reply.ok(200)["items"].as_array().unwrap() {
            match item["outcome"].as_str().unwrap() {
                "issued" => issued += 1,
                "already_issued" => {}
                other => panic!("{other}: {item}"),
            }
        }
    }
    assert_eq!(issued, MENTORS - 1, "each other mentor issued once");
    const NUMBERS: &str = "SELECT number FROM statements WHERE month = $1 ORDER BY number";
    let numbers: Vec<String> = cluster
        .store
        .scalars(mentorship_store::db::query(NUMBERS).bind(&month))
        .await
        .unwrap();
    let expected: Vec<String> = (1..=MENTORS).map(|n| format!("{month}-{n:06}")).collect();
    assert_eq!(numbers, expected, "numbers without gaps");
    const LINES: &str = "SELECT COUNT(*) FROM statement_lines";
    let lines: i64 = cluster
        .store
        .scalar(mentorship_store::db::query(LINES))
        .await
        .unwrap();
    assert_eq!(lines, i64::try_from(MENTORS).unwrap());
    const TOLD: &str = "SELECT COUNT(*) FROM notifications WHERE kind = 'statement_issued'";
    let told: i64 = cluster
        .store
        .scalar(mentorship_store::db::query(TOLD))
        .await
        .unwrap();
    assert_eq!(told, i64::try_from(MENTORS).unwrap());
}

/// Erasures of one applicant from both servers: one erases, every other is told it is done,
/// and the log holds one erasure.
async fn erasure_race(cluster: Cluster) {
    let scene = scene(&cluster).await;
    let http = &cluster.servers[0];
    let (token, id) = applicant(http, &scene, "leaving@example.com").await;
    let replies = race(&cluster, |_| {
        let path = format!("/v1/users/{id}/erasure");
        (path, scene.admin.clone(), None)
    })
    .await;
    let won = winners(&replies, 1);
    for (i, reply) in replies.iter().enumerate() {
        if i != won[0] {
            assert_eq!(reply.body["code"], "already_erased", "{}", reply.body);
        }
    }
    http.get("/v1/me", &token).await.problem(401);
    let actions = audited(&cluster, &id).await;
    assert_eq!(count(&actions, "user.erased"), 1);
}

/// Exports of one person asked for from both servers at once: one is prepared, and every
/// answer names it. (The workers poll once an hour here, so none is prepared mid-race.)
async fn export_request_race(cluster: Cluster) {
    let scene = scene(&cluster).await;
    let http = &cluster.servers[0];
    let (token, id) = applicant(http, &scene, "exporting@example.com").await;
    let sends = (0..RACERS).map(|i| {
        let token = token.clone();
        let cluster = &cluster;
        async move {
            cluster
                .server(i)
                .call("POST", "/v1/me/exports", Some(&token), None, &[])
                .await
        }
    });
    let replies = join_all(sends).await;
    let mut ids: Vec<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, 202, "{}", r.body);
            r.body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    // Not prepared yet: the link says so.
    let file = format!("/v1/exports/{}/file", ids[0]);
    let early = http.get(&file, &token).await;
    assert_eq!(early.problem(409)["code"], "export_not_ready");
    const EXPORTS: &str = "SELECT COUNT(*) FROM exports WHERE user_id = $1";
    let person: uuid::Uuid = id.parse().unwrap();
    let q = mentorship_store::db::query(EXPORTS).bind(person);
    assert_eq!(cluster.store.scalar::<i64>(q).await.unwrap(), 1);
}

/// Events from both servers at once, to one webhook: each reaches the receiver once, whichever
/// instance's sender claims it.
async fn webhook_delivery_race(cluster: Cluster) {
    let scene = scene(&cluster).await;
    let http = &cluster.servers[0];
    let (receiver, url) = super::webhooks::Receiver::start();
    let hook = json!({"url": url, "events": ["application.received"]});
    http.post("/v1/webhooks", &scene.admin, hook).await.ok(201);
    let path = json!({"title": "Race path", "field": "web", "complexity": 2});
    let path = http.post("/v1/paths", &scene.admin, path).await;
    let path_id = path.ok(201)["id"].as_str().unwrap().to_owned();
    let sends = (0..RACERS).map(|i| {
        let body = json!({
            "name": "Grace Hopper", "email": format!("racer{i}@example.com"),
            "password": PERSON_PASSWORD, "path_id": path_id, "experience_years": 6,
            "field_years": 3, "legal_status": "freelancer", "country": "FR",
            "right_to_work_attested": true,
        });
        let cluster = &cluster;
        async move {
            cluster
                .server(i)
                .call("POST", "/v1/mentor-applications", None, Some(body), &[])
                .await
        }
    });
    for reply in join_all(sends).await {
        reply.ok(201);
    }
    receiver.wait_for(RACERS).await;
    // Both senders poll every second: give a duplicate the time to show.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let mut ids: Vec<String> = receiver.received().into_iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), RACERS, "every event once");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), RACERS, "no event twice");
}

macro_rules! raced {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use mentorship_store::Backend;
            use mentorship_tests::cluster::Cluster;

            #[actix_web::test]
            async fn postgres_two_processes() {
                if let Some(cluster) = Cluster::start(env!("CARGO_BIN_EXE_mentorship-server"), Backend::Postgres, 2).await {
                    super::$name(cluster).await;
                }
            }

            #[actix_web::test]
            async fn sqlite_one_process() {
                if let Some(cluster) = Cluster::start(env!("CARGO_BIN_EXE_mentorship-server"), Backend::Sqlite, 1).await {
                    super::$name(cluster).await;
                }
            }
        }
    )*};
}

raced!(
    accept_and_reject_race,
    contract_signature_race,
    verify_and_reject_race,
    four_documents_race,
    last_place_race,
    automatic_assignment_race,
    idempotency_key_race,
    weekly_rule_race,
    statement_numbers_race,
    referral_numbers_race,
    erasure_race,
);

/// The export race, with workers that poll once an hour.
mod export_request_race {
    use mentorship_store::Backend;
    use mentorship_tests::cluster::Cluster;

    const SLOW_WORKERS: [(&str, &str); 1] = [("OUTBOX_POLL_MS", "3600000")];

    #[actix_web::test]
    async fn postgres_two_processes() {
        let program = env!("CARGO_BIN_EXE_mentorship-server");
        if let Some(cluster) =
            Cluster::start_with(program, Backend::Postgres, 2, &SLOW_WORKERS).await
        {
            super::export_request_race(cluster).await;
        }
    }

    #[actix_web::test]
    async fn sqlite_one_process() {
        let program = env!("CARGO_BIN_EXE_mentorship-server");
        if let Some(cluster) = Cluster::start_with(program, Backend::Sqlite, 1, &SLOW_WORKERS).await
        {
            super::export_request_race(cluster).await;
        }
    }
}

/// The webhook race, with the applications' throttle out of the way.
mod webhook_delivery_race {
    use mentorship_store::Backend;
    use mentorship_tests::cluster::Cluster;

    const OPEN_DOORS: [(&str, &str); 1] = [("LOGIN_ATTEMPTS_PER_CLIENT", "1000000")];

    #[actix_web::test]
    async fn postgres_two_processes() {
        let program = env!("CARGO_BIN_EXE_mentorship-server");
        if let Some(cluster) = Cluster::start_with(program, Backend::Postgres, 2, &OPEN_DOORS).await
        {
            super::webhook_delivery_race(cluster).await;
        }
    }

    #[actix_web::test]
    async fn sqlite_one_process() {
        let program = env!("CARGO_BIN_EXE_mentorship-server");
        if let Some(cluster) = Cluster::start_with(program, Backend::Sqlite, 1, &OPEN_DOORS).await {
            super::webhook_delivery_race(cluster).await;
        }
    }
}
