//! Password hashing: argon2id at OWASP's parameters (m=19456 KiB, t=2, p=1,
//! the crate's default), and the [`Hasher`] that bounds how many run at
//! once. Every hash of the program goes through a `Hasher`: one hash holds
//! 19 MiB and a core, so an unbounded number of them is how a sign-in flood
//! takes the machine down.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use subtle::ConstantTimeEq;
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

/// The work memory of one hash (19 MiB at the default parameters), kept
/// and reused. Allocating and freeing that much for every hash leaves the
/// allocator's heaps fragmented: measured here, 300 sign-ins grew the server
/// by 1.5 GB with only two hashes ever running at once. With one buffer per
/// slot, memory is the slots times 19 MiB, whatever arrives.
type Memory = Vec<Block>;

/// Verification of a stored hash needs at most this many blocks (four
/// times our own parameters); a larger stored cost is refused.
const MAX_BLOCKS: usize = 4 * Params::DEFAULT_M_COST as usize;

fn blocks(memory: &mut Memory, n: usize) -> &mut [Block] {
    if memory.len() < n {
        memory.resize(n, Block::default());
    }
    &mut memory[..n]
}

/// Hash a password into a PHC string (argon2id, v19, the crate's default
/// parameters), in `memory`.
fn hash_password(memory: &mut Memory, password: &str) -> Result<String, HashError> {
    let params = Params::default();
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt
        .decode_b64(&mut salt_buf)
        .map_err(|_| HashError::Failed)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut out,
            blocks(memory, params.block_count()),
        )
        .map_err(|_| HashError::Failed)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(|_| HashError::Failed)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|_| HashError::Failed)?),
    };
    Ok(phc.to_string())
}

/// Whether `password` matches the stored PHC hash, computed in `memory`
/// and compared in constant time.
fn verify_password(memory: &mut Memory, hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(parsed.algorithm) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::V0x13,
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&parsed) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    if params.block_count() > MAX_BLOCKS {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let n = params.block_count();
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes,
            &mut out,
            blocks(memory, n),
        )
        .is_ok()
        && bool::from(out.as_slice().ct_eq(expected.as_bytes()))
}

/// A hash of nothing anyone has: verifying against it costs what a real
/// verification costs, so an unknown email answers as slowly as a known one.
fn dummy_hash(memory: &mut Memory) -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password(memory, "a dummy password nobody has").unwrap_or_default())
}

/// Verify against `hash`, or spend the same on the dummy hash when there is
/// none (or it is empty: a login that has not set a password).
fn check(memory: &mut Memory, hash: Option<&str>, password: &str) -> bool {
    match hash.filter(|h| !h.is_empty()) {
        Some(hash) => verify_password(memory, hash, password),
        None => {
            let dummy = dummy_hash(memory);
            let _ = verify_password(memory, dummy, password);
            false
        }
    }
}

/// At most `limit` hashes at once; the rest wait their turn, for a bounded
/// time. Clones share the slots.
#[derive(Clone, Debug)]
pub struct Hasher {
    slots: Arc<Semaphore>,
    limit: usize,
    wait: Duration,
    waiting: Arc<AtomicUsize>,
    /// One work memory per slot, made when first needed.
    memory: Arc<Mutex<Vec<Memory>>>,
}

impl Hasher {
    pub fn new(limit: usize, wait: Duration) -> Hasher {
        let limit = limit.max(1);
        Hasher {
            slots: Arc::new(Semaphore::new(limit)),
            limit,
            wait,
            waiting: Arc::new(AtomicUsize::new(0)),
            memory: Arc::new(Mutex::new(Vec::new())),
        }
    }

    fn take_memory(&self) -> Memory {
        self.memory
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop())
            .unwrap_or_default()
    }

    fn give_back(&self, memory: Memory) {
        if let Ok(mut pool) = self.memory.lock() {
            if pool.len() < self.limit {
                pool.push(memory);
            }
        }
    }

    /// Run `work` in a slot's work memory (the caller holds the slot).
    fn in_memory<T>(&self, work: impl FnOnce(&mut Memory) -> T) -> T {
        let mut memory = self.take_memory();
        let out = work(&mut memory);
        self.give_back(memory);
        out
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
        // Counted while waiting, also when the request is dropped meanwhile
        // (the client went away): the guard's drop uncounts it.
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        self.waiting.fetch_add(1, Ordering::Relaxed);
        let waiting = Waiting(&self.waiting);
        let permit = tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await;
        drop(waiting);
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
        self.run_in_memory(move |_| work()).await
    }

    /// Run `work` with a slot's work memory on a blocking thread.
    async fn run_in_memory<T, F>(&self, work: F) -> Result<T, HashError>
    where
        F: FnOnce(&mut Memory) -> T + Send + 'static,
        T: Send + 'static,
    {
        let permit = self.slot().await?;
        let this = self.clone();
        actix_web::rt::task::spawn_blocking(move || {
            let _permit = permit;
            this.in_memory(work)
        })
        .await
        .map_err(|_| HashError::Failed)
    }

    /// Hash a new password.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run_in_memory(move |m| hash_password(m, &password))
            .await?
    }

    /// Verify a password against a stored hash, or against the dummy hash
    /// when there is none (an unknown email, a login that has not set one),
    /// at the same cost.
    pub async fn verify(&self, hash: Option<String>, password: String) -> Result<bool, HashError> {
        self.run_in_memory(move |m| check(m, hash.as_deref(), &password))
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
        self.in_memory(|m| hash_password(m, password))
    }

    /// Verify a password from a thread that may block.
    pub fn verify_blocking(&self, hash: &str, password: &str) -> Result<bool, HashError> {
        let _permit = self.slot_blocking()?;
        Ok(self.in_memory(|m| check(m, Some(hash), password)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let mut m = Memory::new();
        let hash = hash_password(&mut m, "correct horse battery").expect("hash");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(&mut m, &hash, "correct horse battery"));
        assert!(!verify_password(&mut m, &hash, "correct horse batterY"));
        assert!(!verify_password(&mut m, "not a hash", "x"));
        assert!(
            !check(&mut m, Some(""), ""),
            "no password set matches nothing"
        );
        assert!(!check(&mut m, None, "a dummy password nobody has"));
    }

    #[test]
    fn our_hashes_and_the_crates_own_agree() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let mut m = Memory::new();
        let ours = hash_password(&mut m, "a shared secret").expect("hash");
        let parsed = PasswordHash::new(&ours).expect("phc");
        assert!(Argon2::default()
            .verify_password(b"a shared secret", &parsed)
            .is_ok());
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"another secret", &salt)
            .expect("hash")
            .to_string();
        assert!(verify_password(&mut m, &theirs, "another secret"));
        assert!(!verify_password(&mut m, &theirs, "another secreT"));
        // The reused memory is not shrunk or grown between hashes.
        assert_eq!(m.len(), Params::default().block_count());
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
