//! Who is signed in: the one guarded way a password is checked,
//! server-side sessions, the CSRF guard, and the extractors that hand
//! handlers the signed-in login by role.

pub mod credentials;
pub mod csrf;
pub mod form_token;
pub mod identity;
pub mod session;
pub mod session_reader;

pub use identity::{Contact, Customer, SignedIn, Staff};
pub use session::{Identity, Session};

/// The client's address for the log: the socket's, never a header the
/// client could write.
pub fn peer_of(addr: Option<std::net::SocketAddr>) -> String {
    addr.map(|a| a.ip().to_string())
        .unwrap_or_else(|| "-".into())
}

/// What the log says of a request's path: its route pattern, never the raw
/// path (it may hold a one-time link's token).
pub fn route_of(req: &actix_web::HttpRequest) -> String {
    req.match_pattern().unwrap_or_else(|| "-".into())
}

/// A random token of 32 bytes, hex-encoded.
pub fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}
