//! Several API server processes on one database, as deployments run them: the real binary
//! (`mentorship-server`, the same `cli::main` as `mentorship`), each with its own connection pool
//! and memory. The concurrency suite races requests through them: what one process cannot see
//! of another is exactly what a database constraint or lock must close.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mentorship_api::notices::Templates;

use mentorship_store::{Backend, Store, StoreOptions};

use crate::{Http, TestDb, server_settings};

/// Server processes sharing one fresh database, and a store to read it directly.
pub struct Cluster {
    pub servers: Vec<Http>,
    pub store: Store,
    pub backend: Backend,
    children: Vec<Child>,
    logs: Vec<std::path::PathBuf>,
    _db: TestDb,
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Cluster {
    /// `count` processes of `program` (an integration test's
    /// `env!("CARGO_BIN_EXE_mentorship-server")`) serving a fresh database of `backend`; `None`
    /// when that backend is not configured. The first one migrates the database and makes the
    /// bootstrap admin before the others start.
    pub async fn start(program: &str, backend: Backend, count: usize) -> Option<Self> {
        Self::start_with(program, backend, count, &[]).await
    }

    /// The same, with extra settings for every process.
    pub async fn start_with(
        program: &str,
        backend: Backend,
        count: usize,
        settings: &[(&str, &str)],
    ) -> Option<Self> {
        let db = TestDb::new(backend).await?;
        let mut cluster = Cluster {
            servers: Vec::new(),
            store: Store::connect(&db.url, &StoreOptions::default(), Arc::new(Templates))
                .await
                .expect("connect the test store"),
            backend,
            children: Vec::new(),
            logs: Vec::new(),
            _db: db,
        };
        for n in 0..count {
            cluster.start_one(program, n, settings).await;
        }
        Some(cluster)
    }

    async fn start_one(&mut self, program: &str, n: usize, extra: &[(&str, &str)]) {
        let port = free_port();
        let bind = format!("127.0.0.1:{port}");
        let log = self._db.files_dir.with_extension(format!("server-{n}.log"));
        let log_file = std::fs::File::create(&log).expect("server log file");
        let mut settings = server_settings(&self._db, extra);
        settings.insert("BIND_ADDR".into(), bind.clone());
        settings.insert("LOG_FORMAT".into(), "json".into());
        let child = Command::new(program)
            .arg("serve")
            .env_clear()
            .envs(settings)
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdout(Stdio::from(log_file.try_clone().expect("log file")))
            .stderr(Stdio::from(log_file))
            .spawn()
            .expect("start a server process");
        self.children.push(child);
        self.logs.push(log);
        let http = Http::new(format!("http://{bind}"));
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = http.try_raw("GET", "/ready", &[], Vec::new()).await;
            if ready.is_ok_and(|r| r.status == 200) {
                break;
            }
            if Instant::now() > deadline {
                panic!("server {n} did not become ready:\n{}", self.log_of(n));
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
        self.servers.push(http);
    }

    /// What server `n` wrote to its log, to explain a failure.
    pub fn log_of(&self, n: usize) -> String {
        std::fs::read_to_string(&self.logs[n]).unwrap_or_default()
    }

    /// The server that takes the `i`-th request of a race: requests alternate between servers.
    pub fn server(&self, i: usize) -> &Http {
        &self.servers[i % self.servers.len()]
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
        for log in &self.logs {
            let _ = std::fs::remove_file(log);
        }
    }
}
