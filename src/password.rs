//! Password hashing: argon2id at OWASP's parameters (m=19456 KiB, t=2, p=1,
//! the crate's default), and the [`Hasher`] that bounds how many run at
//! once. Every hash of the program goes through a `Hasher`: one hash holds
//! 19 MiB and a core, so an unbounded number of them is how a sign-in flood
//! takes the machine down.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a hash did not run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HashError {
    /// Every slot stayed taken for the whole wait.
    #[error("password hashing is busy")]
    Busy,
    /// The hash itself failed (it does not for valid input).
    #[error("password hashing failed")]
    Failed,
}

/// Hash a password into a PHC string.
fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| HashError::Failed)
}

/// Whether `password` matches the stored hash.
fn verify_password(hash: &str, password: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of nothing anyone has: verifying against it costs what a real
/// verification costs, so an unknown email answers as slowly as a known one.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("a dummy password nobody has").unwrap_or_default())
}

/// At most `limit` hashes at once; the rest wait their turn, for a bounded
/// time. Clones share the slots.
#[derive(Clone, Debug)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    limit: usize,
    wait: Duration,
    waiting: Arc<AtomicUsize>,
}

impl Hasher {
    pub fn new(limit: usize, wait: Duration) -> Hasher {
        let limit = limit.max(1);
        Hasher {
            slots: Arc::new(Semaphore::new(limit)),
            limit,
            wait,
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Hashes running now.
    pub fn running(&self) -> usize {
        self.limit - self.slots.available_permits()
    }

    /// Hashes waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    async fn slot(&self) -> Result<OwnedSemaphorePermit, HashError> {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let permit = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        match permit {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(HashError::Busy),
        }
    }

    /// Run `work` on a blocking thread once a slot is free.
    pub async fn run<T, F>(&self, work: F) -> Result<T, HashError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.slot().await?;
        actix_web::rt::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|_| HashError::Failed)
    }

    /// Hash a new password.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || hash_password(&password)).await?
    }

    /// Verify a password against a stored hash, or against the dummy hash
    /// when there is none (an unknown email), at the same cost.
    pub async fn verify(&self, hash: Option<String>, password: String) -> Result<bool, HashError> {
        self.run(move || match hash {
            Some(hash) => verify_password(&hash, &password),
            None => {
                let _ = verify_password(dummy_hash(), &password);
                false
            }
        })
        .await
    }

    /// The hasher of a command (the command line, the demo): one hash at
    /// a time.
    pub fn for_command() -> Hasher {
        Hasher::new(1, Duration::from_secs(5))
    }

    /// A slot for a thread that may block, within the same bounded wait.
    fn slot_blocking(&self) -> Result<OwnedSemaphorePermit, HashError> {
        let deadline = Instant::now() + self.wait;
        loop {
            match self.slots.clone().try_acquire_owned() {
                Ok(permit) => return Ok(permit),
                Err(_) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(10))
                }
                Err(_) => return Err(HashError::Busy),
            }
        }
    }

    /// Hash a new password from a thread that may block (the command line).
    pub fn hash_blocking(&self, password: &str) -> Result<String, HashError> {
        let _permit = self.slot_blocking()?;
        hash_password(password)
    }

    /// Verify a password from a thread that may block.
    pub fn verify_blocking(&self, hash: &str, password: &str) -> Result<bool, HashError> {
        let _permit = self.slot_blocking()?;
        Ok(verify_password(hash, password))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(&hash, "correct horse battery"));
        assert!(!verify_password(&hash, "correct horse batterY"));
        assert!(!verify_password("not a hash", "x"));
    }

    #[actix_web::test]
    async fn with_n_slots_the_next_hash_waits_and_then_gives_up() {
        let hasher = Hasher::new(2, Duration::from_millis(300));
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let gate = Arc::new(std::sync::Mutex::new(gate));
        let mut held = Vec::new();
        for _ in 0..2 {
            let h = hasher.clone();
            let gate = gate.clone();
            held.push(actix_web::rt::spawn(async move {
                h.run(move || {
                    let _ = gate.lock().map(|g| g.recv());
                })
                .await
            }));
        }
        while hasher.running() < 2 {
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
        // The third waits for a slot...
        let h = hasher.clone();
        let third = actix_web::rt::spawn(async move { h.verify(None, "x".into()).await });
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(hasher.waiting(), 1, "the N+1st hash waits");
        assert_eq!(hasher.running(), 2);
        // ...and is refused when none frees up in time.
        assert_eq!(third.await.expect("task"), Err(HashError::Busy));
        assert_eq!(hasher.waiting(), 0);
        // Blocking callers (the command line) are bounded the same way.
        assert_eq!(hasher.hash_blocking("whatever"), Err(HashError::Busy));

        // Once a slot frees, a waiting hash runs.
        let h = hasher.clone();
        let fourth = actix_web::rt::spawn(async move { h.verify(None, "y".into()).await });
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(hasher.waiting(), 1);
        release.send(()).expect("release one");
        assert_eq!(fourth.await.expect("task"), Ok(false));
        release.send(()).expect("release the other");
        for h in held {
            assert_eq!(h.await.expect("task"), Ok(()));
        }
        assert_eq!(hasher.running(), 0);
    }
}
