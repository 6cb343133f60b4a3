//! The harness of the end-to-end tests: a fresh database per test (a SQLite file, or a
//! PostgreSQL database created and dropped by the test), the real server on a free port, and a
//! small HTTP client. Every scenario runs on both backends through `on_both_databases!`.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;

use awc::http::{Method, header::HeaderMap};
use mentorship_api::app::{Application, bootstrap_admin, open_store};
use mentorship_api::config::Config;
use mentorship_api::state::AppState;
use mentorship_domain::mentors::MentorStatus;
use mentorship_store::{Backend, Store};
use serde_json::{Value, json};
use sqlx::Connection;

pub mod cluster;
pub mod contract;
pub mod forms;
pub mod s3;
pub mod smtp;

/// The signing secret of every test server, so tests can forge tokens with and without it.
pub const JWT_SECRET: &str = "test-secret-that-is-long-enough-for-hs256!";
pub const JWT_ISSUER: &str = "mentorship-api";
pub const JWT_AUDIENCE: &str = "mentorship-clients";
/// The key encrypting the test servers' files (32 bytes, base64).
pub const FILE_KEY: &str = "dGVzdC1maWxlLWtleS10aGF0LWlzLTMyLWJ5dGVzISE=";
/// The password of every person the harness makes.
pub const PERSON_PASSWORD: &str = "a long passphrase";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "admin-password-123";

/// The PostgreSQL server tests create their databases on, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A database that exists for one test and is removed after it.
pub struct TestDb {
    pub url: String,
    /// A folder of this test's own for stored files.
    pub files_dir: PathBuf,
    cleanup: Cleanup,
}

enum Cleanup {
    Folder(PathBuf),
    Database { server: String, name: String },
}

impl TestDb {
    /// A fresh database on `backend`; `None` for PostgreSQL when `TEST_POSTGRES_URL` is unset.
    pub async fn new(backend: Backend) -> Option<Self> {
        let unique = uuid::Uuid::now_v7().simple().to_string();
        match backend {
            Backend::Sqlite => {
                let folder = std::env::temp_dir().join(format!("mentorship-test-{unique}"));
                let url = format!("sqlite://{}/test.db", folder.display());
                Some(TestDb {
                    url,
                    files_dir: folder.join("files"),
                    cleanup: Cleanup::Folder(folder),
                })
            }
            Backend::Postgres => {
                let server = postgres_url()?;
                let name = format!("mentorship_test_{unique}");
                let mut admin = sqlx::PgConnection::connect(&server)
                    .await
                    .expect("TEST_POSTGRES_URL is set but the server does not answer");
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await
                    .expect("create test database");
                let url = with_database(&server, &name);
                let files_dir = std::env::temp_dir().join(format!("mentorship-test-{unique}"));
                Some(TestDb {
                    url,
                    files_dir,
                    cleanup: Cleanup::Database { server, name },
                })
            }
        }
    }
}

/// The URL of database `name` on the server of `server_url`.
fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = server_url
        .split_once('?')
        .map_or((server_url, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.files_dir);
        match &self.cleanup {
            Cleanup::Folder(folder) => {
                let _ = std::fs::remove_dir_all(folder);
            }
            Cleanup::Database { server, name } => {
                let (server, name) = (server.clone(), name.clone());
                // Drop runs outside any runtime we may block: use a thread with its own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build();
                    if let Ok(rt) = runtime {
                        rt.block_on(async {
                            if let Ok(mut admin) = sqlx::PgConnection::connect(&server).await {
                                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                                let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                                    .execute(&mut admin)
                                    .await;
                            }
                        });
                    }
                })
                .join();
            }
        }
    }
}

/// A running server on a fresh database, with a bootstrap admin.
pub struct TestApp {
    pub http: Http,
    pub store: Store,
    pub backend: Backend,
    /// The folder the server keeps its (encrypted) files in.
    pub files_dir: PathBuf,
    /// The server's settings: a command (`seed-demo`) run beside it uses the same.
    pub config: Config,
    _db: TestDb,
}

impl std::ops::Deref for TestApp {
    type Target = Http;
    fn deref(&self) -> &Http {
        &self.http
    }
}

/// A client of one server: every request helper a scenario uses.
pub struct Http {
    pub base: String,
    client: awc::Client,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    /// The body as sent, for answers that are not JSON (files, archives).
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// Asserts an RFC 9457 problem with this status, and returns it.
    #[track_caller]
    pub fn problem(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.body
        );
        let content_type = self.header("content-type").unwrap_or_default();
        assert!(
            content_type.starts_with("application/problem+json"),
            "content-type {content_type}"
        );
        assert_eq!(self.body["status"], json!(status), "{}", self.body);
        for member in ["type", "title", "detail", "code"] {
            assert!(
                self.body[member].is_string(),
                "problem without {member}: {}",
                self.body
            );
        }
        assert!(self.body["errors"].is_array(), "{}", self.body);
        &self.body
    }

    /// Asserts a success with this status, and returns the body.
    #[track_caller]
    pub fn ok(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "expected {status}, got {}: {}",
            self.status, self.body
        );
        &self.body
    }
}

/// The settings of a test server on `db`, with `extra` ones on top.
fn server_settings(db: &TestDb, extra: &[(&str, &str)]) -> HashMap<String, String> {
    let mut env: HashMap<String, String> = [
        ("DATABASE_URL", db.url.as_str()),
        ("JWT_SECRET", JWT_SECRET),
        ("BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL),
        ("BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("LOGIN_ATTEMPTS_PER_ACCOUNT", "1000"),
        ("LOGIN_ATTEMPTS_PER_CLIENT", "1000"),
        ("DATABASE_MAX_CONNECTIONS", "4"),
        ("HTTP_WORKERS", "1"),
        ("FILE_ENCRYPTION_KEY", FILE_KEY),
        ("FILES_DIR", db.files_dir.to_str().expect("utf-8 temp dir")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.extend(
        extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    env
}

impl TestApp {
    /// A server on a fresh database of `backend`, or `None` when that backend is not configured.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, &[]).await
    }

    /// The same, with extra settings (e.g. a lower login throttle).
    pub async fn spawn_with(backend: Backend, settings: &[(&str, &str)]) -> Option<Self> {
        let db = TestDb::new(backend).await?;
        let env = server_settings(&db, settings);
        let config = Config::from_source(&env).expect("test config");
        let store = open_store(&config).await.expect("open test store");
        let state = AppState::new(&config, store.clone(), JWT_SECRET.as_bytes()).expect("state");
        bootstrap_admin(&state, &config)
            .await
            .expect("bootstrap admin");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let app = Application::build(listener, state, &config).expect("build");
        let port = app.port;
        actix_web::rt::spawn(app.run());
        Some(TestApp {
            http: Http::new(format!("http://127.0.0.1:{port}")),
            store,
            backend,
            files_dir: db.files_dir.clone(),
            config,
            _db: db,
        })
    }
}

impl TestApp {
    /// Runs `mentorship seed-demo` on the server's database and files, as an operator would
    /// beside it; returns what it prints, or why it stopped.
    pub async fn seed_demo(&self) -> Result<Vec<String>, String> {
        self.seed_demo_as_of(chrono::Utc::now()).await
    }

    /// The same, as if run at `today`.
    pub async fn seed_demo_as_of(
        &self,
        today: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, String> {
        let state = AppState::new(&self.config, self.store.clone(), JWT_SECRET.as_bytes())
            .map_err(|e| e.to_string())?;
        mentorship_api::demo::seed_as_of(&state, today)
            .await
            .map_err(|e| e.to_string())
    }
}

impl Http {
    /// A client of the server at `base` (`http://127.0.0.1:port`).
    pub fn new(base: String) -> Self {
        let client = awc::Client::builder()
            .timeout(std::time::Duration::from_secs(60))
            .finish();
        Http { base, client }
    }

    /// A client of the same server that keeps up to `connections` open at once (the default
    /// keeps 100).
    pub fn with_connections(&self, connections: usize) -> Self {
        let client = awc::Client::builder()
            .timeout(std::time::Duration::from_secs(120))
            .connector(awc::Connector::new().limit(connections))
            .finish();
        Http {
            base: self.base.clone(),
            client,
        }
    }

    /// Sends a request with raw headers and body.
    pub async fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Reply {
        self.try_raw(method, path, headers, body)
            .await
            .expect("request sent and answered")
    }

    /// The same, or why no answer came (a server not listening yet, or gone).
    pub async fn try_raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<Reply, String> {
        let method_name = method;
        let method = Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let mut response = request.send_body(body).await.map_err(|e| e.to_string())?;
        let bytes = response
            .body()
            .limit(16 * 1024 * 1024)
            .await
            .map_err(|e| e.to_string())?;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        let reply = Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body,
            bytes: bytes.to_vec(),
        };
        contract::check_problem_codes(method_name, path, &reply);
        Ok(reply)
    }

    /// Sends a request with an optional bearer token, JSON body and extra headers.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        extra: &[(&str, &str)],
    ) -> Reply {
        let auth = token.map(|t| format!("Bearer {t}"));
        let mut headers: Vec<(&str, &str)> = extra.to_vec();
        if let Some(auth) = &auth {
            headers.push(("authorization", auth));
        }
        let bytes = match &body {
            Some(b) => {
                headers.push(("content-type", "application/json"));
                serde_json::to_vec(b).expect("json")
            }
            None => Vec::new(),
        };
        self.raw(method, path, &headers, bytes).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.call("GET", path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.call("POST", path, Some(token), Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, token: &str, etag: &str, body: Value) -> Reply {
        self.call(
            "PATCH",
            path,
            Some(token),
            Some(body),
            &[("if-match", etag)],
        )
        .await
    }

    /// Checks a list's `from`/`to` range on the instant field `field`: split at one of its
    /// items' instants, `from` keeps the items at or after it and `to` those before it, and
    /// the two make the whole list. `list` is the list's URL with its other filters.
    pub async fn check_range(&self, list: &str, token: &str, field: &str) {
        let join = if list.contains('?') { '&' } else { '?' };
        let ids = |reply: &Reply| -> Vec<(String, String)> {
            reply.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| {
                    let at = i[field].as_str().expect("an instant").to_owned();
                    (i["id"].as_str().expect("an id").to_owned(), at)
                })
                .collect()
        };
        let all = ids(&self.get(&format!("{list}{join}limit=200"), token).await);
        assert!(all.len() >= 2, "{list}: too few items to split: {all:?}");
        let instant = |at: &str| {
            at.parse::<chrono::DateTime<chrono::Utc>>()
                .expect("rfc 3339")
        };
        let first = all
            .iter()
            .map(|(_, at)| instant(at))
            .min()
            .expect("an item");
        let split = all
            .iter()
            .map(|(_, at)| instant(at))
            .filter(|at| *at > first)
            .min()
            .unwrap_or_else(|| panic!("{list}: every item at one instant"));
        let at = split.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let from = self
            .get(&format!("{list}{join}limit=200&from={at}"), token)
            .await;
        let to = self
            .get(&format!("{list}{join}limit=200&to={at}"), token)
            .await;
        from.ok(200);
        to.ok(200);
        let (from, to) = (ids(&from), ids(&to));
        assert!(
            from.iter().all(|(_, t)| instant(t) >= split),
            "{list}: {from:?}"
        );
        assert!(to.iter().all(|(_, t)| instant(t) < split), "{list}: {to:?}");
        assert!(
            !from.is_empty() && !to.is_empty(),
            "{list}: one side is empty"
        );
        assert_eq!(
            from.len() + to.len(),
            all.len(),
            "{list}: the two sides make the list"
        );
    }

    /// The kinds of the caller's notifications, newest first.
    pub async fn notification_kinds(&self, token: &str) -> Vec<String> {
        let list = self.get("/v1/me/notifications?limit=200", token).await;
        list.ok(200)["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|n| n["kind"].as_str().expect("kind").to_owned())
            .collect()
    }

    /// Logs in and returns the token pair.
    pub async fn login(&self, email: &str, password: &str) -> Value {
        let reply = self
            .call(
                "POST",
                "/v1/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
                &[],
            )
            .await;
        reply.ok(200).clone()
    }

    /// An access token of the bootstrap admin.
    pub async fn admin(&self) -> String {
        token_of(&self.login(ADMIN_EMAIL, ADMIN_PASSWORD).await)
    }

    /// Creates an account as `by` and returns an access token of it and its id.
    pub async fn person(&self, by: &str, role: &str, email: &str) -> (String, String) {
        let password = "a long passphrase";
        let created = self
            .post(
                "/v1/users",
                by,
                json!({"email": email, "name": email, "role": role, "password": password}),
            )
            .await;
        let id = created.ok(201)["id"].as_str().expect("id").to_owned();
        (token_of(&self.login(email, password).await), id)
    }
}

impl TestApp {
    /// Applies to mentor through the API (on a harness path) and returns the applicant's token
    /// and id; the application is eligible and waits for review.
    pub async fn applicant(&self, email: &str) -> (String, String) {
        self.applicant_referred(email, None).await
    }

    /// The same, applying with a mentor's referral code when one is given.
    pub async fn applicant_referred(&self, email: &str, code: Option<&str>) -> (String, String) {
        let path_id = self.harness_path().await;
        let mut body = json!({
            "name": email, "email": email, "password": PERSON_PASSWORD, "path_id": path_id,
            "experience_years": 6, "field_years": 3, "legal_status": "freelancer", "country": "FR",
            "right_to_work_attested": true,
        });
        if let Some(code) = code {
            body["referral_code"] = json!(code);
        }
        let reply = self
            .call("POST", "/v1/mentor-applications", None, Some(body), &[])
            .await;
        let id = reply.ok(201)["id"].as_str().expect("id").to_owned();
        (token_of(&self.login(email, PERSON_PASSWORD).await), id)
    }

    /// Puts a mentor in `status` directly in the database, skipping the rules and the steps
    /// between: for tests about what a mentor in that status may do, not about how they got
    /// there. No product code can do this.
    pub async fn set_mentor_status(&self, id: &str, status: MentorStatus) {
        const SQL: &str =
            "UPDATE mentors SET status = $2, version = version + 1 WHERE user_id = $1";
        let statement = mentorship_store::db::query(SQL)
            .bind(id.parse::<uuid::Uuid>().expect("uuid"))
            .bind(status.as_str());
        let changed = self.store.execute(statement).await.expect("status");
        assert_eq!(changed, 1, "no mentor {id}");
    }

    /// An active mentor, made as people make one: applied, accepted by the admin, documents
    /// sent and verified, contract signed. Returns their token and id.
    pub async fn mentor(&self, email: &str) -> (String, String) {
        self.referred_mentor_opt(email, None).await
    }

    /// An active mentor who applied with `code`, another mentor's referral code.
    pub async fn referred_mentor(&self, email: &str, code: &str) -> (String, String) {
        self.referred_mentor_opt(email, Some(code)).await
    }

    async fn referred_mentor_opt(&self, email: &str, code: Option<&str>) -> (String, String) {
        let (token, id) = self.applicant_referred(email, code).await;
        let admin = self.admin().await;
        self.call(
            "POST",
            &format!("/v1/mentor-applications/{id}/accept"),
            Some(&admin),
            None,
            &[],
        )
        .await
        .ok(200);
        forms::send_all_documents(self, &token, &id).await;
        forms::verify_all_documents(self, &admin, &id).await;
        let sign = serde_json::json!({"full_name": email, "accept_terms": true});
        self.post(&format!("/v1/mentors/{id}/contract/sign"), &token, sign)
            .await
            .ok(200);
        (token, id)
    }

    /// The id of a path for harness-made applicants and students (with one project), created
    /// on first use.
    pub async fn harness_path(&self) -> String {
        let page = mentorship_store::PageRequest {
            after: None,
            limit: 200,
        };
        let paths = mentorship_store::catalog::list_paths(&self.store, Some("harness"), page)
            .await
            .expect("paths");
        if let Some(path) = paths.items.first() {
            return path.id.to_string();
        }
        let fields = mentorship_store::catalog::PathFields {
            title: "Harness path".into(),
            field: "harness".into(),
            complexity: mentorship_domain::catalog::Level::new(1).expect("level"),
            description: String::new(),
        };
        let path = mentorship_store::catalog::create_path(&self.store, fields, uuid::Uuid::nil())
            .await
            .expect("harness path");
        let project = mentorship_store::catalog::ProjectFields {
            title: "Harness project".into(),
            position: None,
            difficulty: mentorship_domain::catalog::Level::new(1).expect("level"),
            description: String::new(),
        };
        mentorship_store::catalog::create_project(&self.store, path.id, project, uuid::Uuid::nil())
            .await
            .expect("harness project");
        path.id.to_string()
    }

    /// The first project of a path.
    pub async fn first_project(&self, path_id: &str) -> String {
        let page = mentorship_store::PageRequest {
            after: None,
            limit: 1,
        };
        let projects = mentorship_store::catalog::list_projects(
            &self.store,
            path_id.parse().expect("uuid"),
            page,
        )
        .await
        .expect("projects");
        projects.items.first().expect("a project").id.to_string()
    }

    /// A student enrolled by `by` on the harness path, who set their password through the
    /// invitation; returns their token and id.
    pub async fn student(&self, by: &str, email: &str) -> (String, String) {
        let path_id = self.harness_path().await;
        let project_id = self.first_project(&path_id).await;
        let body = json!({
            "name": email, "email": email, "path_id": path_id, "project_id": project_id,
            "time_zone": "Europe/Paris", "session_length": 45,
        });
        let id = self.post("/v1/students", by, body).await.ok(201)["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let pair = self.accept_invitation(email, PERSON_PASSWORD).await;
        (token_of(&pair), id)
    }

    /// Lets the mentor take `places` students (their own profile edit, as they would make it).
    pub async fn open_places(&self, mentor_token: &str, mentor_id: &str, places: u32) {
        let url = format!("/v1/mentors/{mentor_id}");
        let etag = self
            .get(&url, mentor_token)
            .await
            .header("etag")
            .expect("etag");
        self.patch(
            &url,
            mentor_token,
            &etag,
            json!({"requested_students": places}),
        )
        .await
        .ok(200);
    }

    /// Assigns a student to a mentor, as staff `by`.
    pub async fn assign(&self, by: &str, student_id: &str, mentor_id: &str) {
        self.post(
            &format!("/v1/students/{student_id}/assignments"),
            by,
            json!({"mentor_id": mentor_id}),
        )
        .await
        .ok(201);
    }

    /// An active mentor with `places` and a student of the harness path assigned to them:
    /// their tokens and ids.
    pub async fn pair(&self, admin: &str, mentor_email: &str, student_email: &str) -> Pair {
        let (mentor, mentor_id) = self.mentor(mentor_email).await;
        self.open_places(&mentor, &mentor_id, 10).await;
        let (student, student_id) = self.student(admin, student_email).await;
        self.assign(admin, &student_id, &mentor_id).await;
        Pair {
            mentor,
            mentor_id,
            student,
            student_id,
        }
    }

    /// Moves a session to `start` in the database, as time passing would (no API books into
    /// the past): its end, its week and the instant its notes are due follow.
    pub async fn move_session_to(&self, id: &str, start: chrono::DateTime<chrono::Utc>) {
        const SQL: &str = "UPDATE sessions SET start_at = $2, end_at = $3, notes_due_at = $4, week = $5 WHERE id = $1";
        let id: uuid::Uuid = id.parse().expect("uuid");
        let session = mentorship_store::sessions::get(&self.store, id)
            .await
            .expect("session");
        let end = start + session.length.duration();
        let zone: chrono_tz::Tz = session.people.mentor_zone.parse().expect("zone");
        let due = mentorship_domain::sessions::notes_due_at(
            end,
            zone,
            &mentorship_domain::policy::Policies::default(),
        );
        let student_zone: chrono_tz::Tz = session.people.student_zone.parse().expect("zone");
        let week = mentorship_domain::weeks::WeekKey::of(start, student_zone);
        let update = mentorship_store::db::query(SQL)
            .bind(id)
            .bind(start)
            .bind(end)
            .bind(due)
            .bind(week.to_string());
        assert_eq!(self.store.execute(update).await.expect("move"), 1);
    }

    /// Sets the password of an invited person with the link of their invitation, as they would
    /// from the email (read here from the outbox), and returns their first token pair.
    pub async fn accept_invitation(&self, email: &str, password: &str) -> Value {
        let token = self.last_link_token(email).await;
        let body = json!({"token": token, "new_password": password});
        self.call("POST", "/v1/auth/invitation", None, Some(body), &[])
            .await
            .ok(200)
            .clone()
    }

    /// The token of the link in the last email queued for `email`.
    pub async fn last_link_token(&self, email: &str) -> String {
        const SQL: &str =
            "SELECT body FROM email_outbox WHERE to_email = $1 ORDER BY created_at DESC, id DESC";
        let bodies: Vec<String> = self
            .store
            .scalars(mentorship_store::db::query(SQL).bind(email))
            .await
            .expect("outbox");
        let body = bodies.first().expect("an email to the person");
        link_token(body).expect("a link with a token")
    }
}

/// The token of the one-time link in an email's text.
pub fn link_token(text: &str) -> Option<String> {
    let start = text.find("token=")? + "token=".len();
    Some(
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
            .collect(),
    )
}

/// A mentor and their student.
pub struct Pair {
    pub mentor: String,
    pub mentor_id: String,
    pub student: String,
    pub student_id: String,
}

pub fn token_of(pair: &Value) -> String {
    pair["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// Runs each named `async fn(TestApp)` on SQLite and on PostgreSQL, as `<name>::sqlite` and
/// `<name>::postgres`, optionally `with [("SETTING", "value")]`. The PostgreSQL half returns at
/// once when `TEST_POSTGRES_URL` is unset (`make test` says so once).
#[macro_export]
macro_rules! on_both_databases {
    (@settings) => { &[] };
    (@settings $settings:expr) => { &$settings };
    ($($name:ident $(with $settings:expr)?),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                let settings: &[(&str, &str)] = $crate::on_both_databases!(@settings $($settings)?);
                if let Some(app) = $crate::TestApp::spawn_with(mentorship_store::Backend::Sqlite, settings).await {
                    super::$name(app).await;
                }
            }

            #[actix_web::test]
            async fn postgres() {
                let settings: &[(&str, &str)] = $crate::on_both_databases!(@settings $($settings)?);
                if let Some(app) = $crate::TestApp::spawn_with(mentorship_store::Backend::Postgres, settings).await {
                    super::$name(app).await;
                }
            }
        }
    )*};
}

/// Runs each named `async fn(TestApp, SmtpRelay)` on both databases, the server sending its
/// email through a test relay on loopback and polling its outbox every 100 ms.
#[macro_export]
macro_rules! with_relay {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            async fn run(backend: mentorship_store::Backend) {
                let relay = $crate::smtp::SmtpRelay::start().await;
                let url = relay.url();
                let settings = [
                    ("SMTP_URL", url.as_str()),
                    ("SMTP_FROM", "Mentorship tests <noreply@mentorship.test>"),
                    ("OUTBOX_POLL_MS", "100"),
                ];
                if let Some(app) = $crate::TestApp::spawn_with(backend, &settings).await {
                    super::$name(app, relay).await;
                }
            }

            #[actix_web::test]
            async fn sqlite() {
                run(mentorship_store::Backend::Sqlite).await;
            }

            #[actix_web::test]
            async fn postgres() {
                run(mentorship_store::Backend::Postgres).await;
            }
        }
    )*};
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn database_urls_swap_the_database_name() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(with_database("postgres://u@h", "t1"), "postgres://u@h/t1");
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
    }
}
