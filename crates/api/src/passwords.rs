//! Password hashing with argon2id on a pool of its own threads: off the async threads, bounded
//! in how many run at once (a login flood queues for the pool), and at the lowest scheduling
//! priority, so hashing takes the CPU only when requests are not asking for it and a flood of
//! logins does not make other requests wait.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, PoisonError, mpsc};

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use rand::Rng;
use tokio::sync::oneshot;

use crate::error::ApiError;

/// argon2id with m = 19456 KiB, t = 2, p = 1: the floor DESIGN.md sets.
fn argon2() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(19_456, 2, 1, None).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A random 16-byte salt.
fn new_salt() -> Result<SaltString, ApiError> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    SaltString::encode_b64(&bytes).map_err(|e| ApiError::Internal(e.to_string()))
}

thread_local! {
    /// The memory of this hashing thread's last hash (19 MiB at the default cost), kept for the
    /// next: allocating it for each hash made the kernel map, fault in and zero it every time,
    /// a quarter of a login's CPU (BENCHMARKS.md).
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// argon2's verification of a PHC string, computed in this thread's kept memory; compared in
/// constant time.
fn verify_in_thread_memory(password: &[u8], phc: &str) -> Result<bool, ApiError> {
    let internal = |e: &dyn std::fmt::Display| ApiError::Internal(e.to_string());
    let parsed = PasswordHash::new(phc).map_err(|e| internal(&e))?;
    let params = Params::try_from(&parsed).map_err(|e| internal(&e))?;
    let algorithm = Algorithm::try_from(parsed.algorithm).map_err(|e| internal(&e))?;
    let version = match parsed.version {
        Some(v) => Version::try_from(v).map_err(|e| internal(&e))?,
        None => Version::default(),
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Ok(false);
    };
    let mut salt_bytes = [0u8; 64];
    let salt = salt.decode_b64(&mut salt_bytes).map_err(|e| internal(&e))?;
    let mut out = vec![0u8; expected.len()];
    let blocks = params.block_count();
    let argon2 = Argon2::new(algorithm, version, params);
    MEMORY
        .with_borrow_mut(|memory| {
            if memory.len() < blocks {
                memory.resize(blocks, Block::default());
            }
            argon2.hash_password_into_with_memory(password, salt, &mut out, &mut memory[..blocks])
        })
        .map_err(|e| internal(&e))?;
    let computed = Output::new(&out).map_err(|e| internal(&e))?;
    Ok(computed == expected)
}

/// Work for a hashing thread.
type Job = Box<dyn FnOnce() + Send>;

/// The bounded hashing pool. Its threads end when the last clone is dropped.
#[derive(Clone)]
pub struct Passwords {
    jobs: mpsc::Sender<Job>,
    /// A real hash of nothing, verified when the email is unknown so that a login for an
    /// unknown account takes as long as one for a known account.
    decoy: Arc<String>,
}

impl Passwords {
    /// Starts `threads` hashing threads (at least one).
    pub fn new(threads: usize) -> Result<Self, ApiError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name("password-hash".into())
                .spawn(move || hash_thread(&queue))
                .map_err(|e| ApiError::Internal(format!("hashing thread: {e}")))?;
        }
        let salt = new_salt()?;
        let decoy = argon2()?
            .hash_password(b"decoy password", &salt)
            .map_err(|e| ApiError::Internal(e.to_string()))?
            .to_string();
        Ok(Passwords {
            jobs,
            decoy: Arc::new(decoy),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (answer, answered) = oneshot::channel();
        let job = move || {
            // The caller is gone (its client hung up): the hash would be for nobody.
            if !answer.is_closed() {
                let _ = answer.send(work());
            }
        };
        self.jobs
            .send(Box::new(job))
            .map_err(|_| ApiError::Internal("the hashing pool has stopped".into()))?;
        answered
            .await
            .map_err(|_| ApiError::Internal("a password hash failed".into()))
    }

    /// The PHC string of a new password.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        self.run(move || {
            let salt = new_salt()?;
            argon2()?
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| ApiError::Internal(e.to_string()))
        })
        .await?
    }

    /// Whether `password` matches `hash`. With no usable hash (an unknown account, or one whose
    /// password was never set, such as an invited student's), spends the same time on the decoy
    /// and answers false.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let usable = hash.filter(|h| PasswordHash::new(h).is_ok());
        let known = usable.is_some();
        let hash = usable.unwrap_or_else(|| self.decoy.to_string());
        let matches = self
            .run(move || verify_in_thread_memory(password.as_bytes(), &hash))
            .await??;
        Ok(known && matches)
    }
}

/// A hashing thread: lowers its own priority, then runs jobs until the pool is dropped.
fn hash_thread(queue: &Mutex<mpsc::Receiver<Job>>) {
    lower_priority();
    loop {
        // The lock is held only while waiting for a job, not while hashing.
        let job = queue.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(job) = job else { return };
        // A panicking hash fails its own request (its answer is dropped), not the thread.
        let _ = catch_unwind(AssertUnwindSafe(job));
    }
}

/// Nice 19, the lowest priority of ordinary threads: the scheduler runs a request's thread as
/// soon as it wakes, and hashing gets whatever CPU is left, which under a login flood with little
/// else to do is all of it. On Linux the nice value belongs to the thread, not the process.
#[cfg(target_os = "linux")]
fn lower_priority() {
    let me = rustix::thread::gettid();
    if let Err(e) = rustix::process::setpriority_process(Some(me), 19) {
        tracing::warn!(error = %e, "could not lower the priority of a hashing thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn hashes_verify_on_the_pool() {
        let passwords = Passwords::new(2).unwrap();
        let hash = passwords.hash("a long password".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        let right = passwords.verify("a long password".into(), Some(hash.clone()));
        assert!(right.await.unwrap());
        let wrong = passwords.verify("another password".into(), Some(hash));
        assert!(!wrong.await.unwrap());
        assert!(
            !passwords
                .verify("a long password".into(), None)
                .await
                .unwrap()
        );
        // An account whose password was never set holds no usable hash: a mismatch, not a 500.
        assert!(
            !passwords
                .verify("a long password".into(), Some("!".into()))
                .await
                .unwrap()
        );
        // A hash of other parameters (a future cost) still verifies, in memory of its size.
        let light = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8_192, 1, 1, None).unwrap(),
        )
        .hash_password(b"a long password", &new_salt().unwrap())
        .unwrap()
        .to_string();
        let again = passwords.verify("a long password".into(), Some(light));
        assert!(again.await.unwrap());
    }

    #[actix_web::test]
    async fn a_hash_whose_caller_has_gone_is_skipped() {
        use std::sync::atomic::{AtomicBool, Ordering};
        let passwords = Passwords::new(1).unwrap();
        let (started, release) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicBool::new(false)),
        );
        // Keep the only thread busy until the second job has been given up.
        let busy = {
            let (started, release) = (Arc::clone(&started), Arc::clone(&release));
            let pool = passwords.clone();
            actix_web::rt::spawn(async move {
                pool.run(move || {
                    started.store(true, Ordering::SeqCst);
                    while !release.load(Ordering::SeqCst) {
                        std::thread::yield_now();
                    }
                })
                .await
            })
        };
        while !started.load(Ordering::SeqCst) {
            actix_web::rt::task::yield_now().await;
        }
        let ran = Arc::new(AtomicBool::new(false));
        let given_up = {
            let ran = Arc::clone(&ran);
            passwords.run(move || ran.store(true, Ordering::SeqCst))
        };
        // The job is queued when the future is first polled; polling it once and dropping it is
        // a client hanging up while waiting.
        let mut given_up = Box::pin(given_up);
        assert!(futures_util::FutureExt::now_or_never(&mut given_up).is_none());
        drop(given_up);
        release.store(true, Ordering::SeqCst);
        busy.await.unwrap().unwrap();
        // The next job runs after the skipped one: once it is done, the skipped one was seen.
        passwords.run(|| ()).await.unwrap();
        assert!(!ran.load(Ordering::SeqCst), "the abandoned job ran");
    }

    #[cfg(target_os = "linux")]
    #[actix_web::test]
    async fn hashing_runs_at_the_lowest_priority_and_requests_do_not() {
        let nice = || rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap();
        let before = nice();
        let passwords = Passwords::new(1).unwrap();
        assert_eq!(passwords.run(nice).await.unwrap(), 19);
        assert_eq!(nice(), before, "the caller's thread keeps its priority");
    }
}
