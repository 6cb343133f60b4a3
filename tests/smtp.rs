//! A small SMTP relay on loopback for tests: it speaks just enough SMTP for a client that sends
//! plain messages (no TLS, no AUTH) and keeps every message it accepts, so a test can check what
//! the outbox worker sent.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// One message the relay accepted.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`) the relay accepted.
    pub to: Vec<String>,
    /// The message itself: headers, a blank line, the body (dot-stuffing undone).
    pub data: String,
}

impl Received {
    /// The message as a person reads it: quoted-printable soft line breaks joined, `=3D` decoded.
    pub fn text(&self) -> String {
        self.data
            .replace("=\r\n", "")
            .replace("=\n", "")
            .replace("=3D", "=")
    }
}

/// A running relay; it stops when dropped.
pub struct SmtpRelay {
    pub port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

/// What the relay refuses: recipients whose address contains this text get `550`.
const REFUSED_RECIPIENT: &str = "bounce";

impl SmtpRelay {
    /// A relay on a free port of 127.0.0.1.
    pub async fn start() -> Self {
        Self::on_port(0).await.expect("bind the test SMTP relay")
    }

    /// A relay on `port` of 127.0.0.1 (to bring up a relay that was down).
    pub async fn on_port(port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let port = listener.local_addr()?.port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = received.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    // A client that hangs up mid-session just loses its message.
                    let _ = session(stream, kept).await;
                });
            }
        });
        Ok(SmtpRelay {
            port,
            received,
            task,
        })
    }

    /// `SMTP_URL` for the server under test.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().expect("relay lock").clone()
    }

    /// The text of the last message to `to` (see [`Received::text`]).
    pub fn last_to(&self, to: &str) -> String {
        let received = self.received();
        let mail = received
            .iter()
            .rev()
            .find(|m| m.to.iter().any(|t| t.contains(to)))
            .expect("a message to the person");
        mail.text()
    }

    /// The messages for `to`, once there are at least `count`; panics after `within`.
    pub async fn wait_for(&self, to: &str, count: usize, within: Duration) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let found: Vec<Received> = self
                .received()
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t == to))
                .collect();
            if found.len() >= count {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{count} message(s) to {to} expected within {within:?}, got {}: {:?}",
                found.len(),
                self.received()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpRelay {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The address inside `MAIL FROM:<a>` or `RCPT TO:<a>`.
fn address(argument: &str) -> String {
    argument
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'))
        .map_or_else(|| argument.trim().to_owned(), |(a, _)| a.to_owned())
}

async fn session(stream: TcpStream, kept: Arc<Mutex<Vec<Received>>>) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    writer.write_all(b"220 test-relay ESMTP\r\n").await?;
    let mut from = String::new();
    let mut to = Vec::new();
    while let Some(line) = lines.next_line().await? {
        let verb = line.get(..4).unwrap_or_default().to_ascii_uppercase();
        let reply: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250 test-relay\r\n",
            "MAIL" => {
                from = address(&line);
                to.clear();
                b"250 OK\r\n"
            }
            "RCPT" if address(&line).contains(REFUSED_RECIPIENT) => {
                b"550 5.1.1 no such mailbox\r\n"
            }
            "RCPT" => {
                to.push(address(&line));
                b"250 OK\r\n"
            }
            "DATA" => {
                writer.write_all(b"354 end with .\r\n").await?;
                let mut data = String::new();
                while let Some(line) = lines.next_line().await? {
                    if line == "." {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                    data.push('\n');
                }
                let message = Received {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                };
                kept.lock().expect("relay lock").push(message);
                b"250 OK queued\r\n"
            }
            "RSET" | "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                writer.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 command not implemented\r\n",
        };
        writer.write_all(reply).await?;
    }
    Ok(())
}
