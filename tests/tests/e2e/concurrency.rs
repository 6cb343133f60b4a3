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

/// The kinds of a person's notifications.
async fn notification_kinds(http: &Http, token: &str) -> Vec<String> {
    let list = http.get("/v1/me/notifications?limit=200", token).await;
    list.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect()
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
    let kinds = notification_kinds(http, &token).await;
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
    let kinds = notification_kinds(http, &token).await;
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
    let kinds = notification_kinds(http, &token).await;
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
    let told = notification_kinds(http, &token).await;
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

/// Runs each race on PostgreSQL with two server processes and on SQLite with one.
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
);
