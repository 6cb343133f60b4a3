//! An S3-compatible server on loopback for the tests of the bucket file store: moto's server
//! (PyPI `moto[s3,server]`), whose executable `TEST_S3_SERVER` names (`.ci/run` installs it).
//! Without it, the S3 half of the storage tests is skipped, as the PostgreSQL half is without
//! `TEST_POSTGRES_URL`.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The bucket every test server starts with.
pub const BUCKET: &str = "mentorship-test";

/// A running S3-compatible server, stopped when dropped.
pub struct S3Server {
    child: Child,
    pub endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl S3Server {
    /// Starts one with an empty bucket; `None` when `TEST_S3_SERVER` is unset.
    pub async fn start() -> Option<S3Server> {
        let program = std::env::var("TEST_S3_SERVER").ok()?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("TEST_S3_SERVER={program} does not start: {e}"));
        let server = S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let client = awc::Client::default();
        for _ in 0..100 {
            let made = client
                .put(format!("{}/{BUCKET}", server.endpoint))
                .send()
                .await;
            if made.is_ok_and(|r| r.status().is_success()) {
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the S3 server at {} did not answer", server.endpoint);
    }

    /// The settings that put a server's files in this bucket.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("FILES_STORE", "s3".into()),
            ("S3_BUCKET", BUCKET.into()),
            ("S3_PREFIX", "files".into()),
            ("S3_ENDPOINT", self.endpoint.clone()),
            ("S3_ACCESS_KEY_ID", "test".into()),
            ("S3_SECRET_ACCESS_KEY", "test".into()),
            ("S3_ALLOW_HTTP", "true".into()),
        ]
    }

    /// The raw bytes of every object in the bucket, as stored.
    pub async fn objects(&self) -> Vec<Vec<u8>> {
        let client = awc::Client::default();
        let url = format!("{}/{BUCKET}?list-type=2", self.endpoint);
        let listing = client.get(url).send().await.expect("listing").body().await;
        let listing = String::from_utf8(listing.expect("listing body").to_vec()).expect("xml");
        let mut objects = Vec::new();
        for part in listing.split("<Key>").skip(1) {
            let key = part.split("</Key>").next().expect("a key");
            let url = format!("{}/{BUCKET}/{key}", self.endpoint);
            let mut reply = client.get(url).send().await.expect("object");
            let body = reply
                .body()
                .limit(64 * 1024 * 1024)
                .await
                .expect("object body");
            objects.push(body.to_vec());
        }
        objects
    }
}
