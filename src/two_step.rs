//! Two-step sign-in rules (SPEC 8), with no I/O: RFC 6238 codes (SHA-1, 6 digits, 30-second
//! steps, the step before and after accepted) from a 160-bit secret of the
//! operating system's random source, and recovery codes of 120 bits.

use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

/// The issuer authenticator apps show.
pub const ISSUER: &str = "License portal";
/// Recovery codes made at once.
pub const RECOVERY_CODES: usize = 10;
/// How long a half-signed-in session waits for its code.
pub const HALF_SESSION_SECONDS: i64 = 5 * 60;
/// Wrong codes that end a half-signed-in session.
pub const MAX_WRONG_CODES: u8 = 5;

/// Whose logins must have two-step (`--two-step`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    Staff,
    All,
    Off,
}

impl Policy {
    pub fn parse(s: &str) -> Option<Policy> {
        match s.trim() {
            "staff" => Some(Policy::Staff),
            "all" => Some(Policy::All),
            "off" => Some(Policy::Off),
            _ => None,
        }
    }

    /// Whether a login of `role` must have two-step on.
    pub fn requires(self, role: crate::domain::roles::Role) -> bool {
        match self {
            Policy::Staff => role.is_staff(),
            Policy::All => true,
            Policy::Off => false,
        }
    }
}

/// A new secret: 20 random bytes, base32 (RFC 4648, no padding).
pub fn new_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Secret::from(bytes.to_vec()).to_base32()
}

fn totp(secret: &str, email: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret).ok()?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret)
        .with_account_name(email.replace(':', ""))
        .with_issuer(Some(ISSUER))
        .build()
        .ok()
}

/// The `otpauth://totp/...` URI an authenticator app reads.
pub fn otpauth_uri(secret: &str, email: &str) -> Option<String> {
    totp(secret, email)?.to_url().ok()
}

/// The QR code of the URI, as an inline SVG.
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build(),
    )
}

/// The time step a six-digit code is right for at `unix_seconds` (that
/// step, the one before or after), if any.
pub fn code_step(secret: &str, code: &str, unix_seconds: u64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = totp(secret, "")?.check(&code, unix_seconds)?;
    i64::try_from(step).ok()
}

/// The code of a secret at a time (for tests and `oathtool`-like checks).
pub fn code_at(secret: &str, unix_seconds: u64) -> Option<String> {
    Some(totp(secret, "")?.generate(unix_seconds).to_string())
}

/// Ten new recovery codes, as shown: 24 base32 characters (120 bits) in
/// groups of four.
pub fn new_recovery_codes() -> Vec<String> {
    use rand::RngCore;
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 15];
            rand::rngs::OsRng.fill_bytes(&mut bytes);
            let text = Secret::from(bytes.to_vec()).to_base32();
            text.as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

/// What is kept of a recovery code: the SHA-256 of it without dashes or
/// spaces, upper-cased, so it may be typed either way.
pub fn recovery_hash(code: &str) -> Option<String> {
    let plain: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect::<String>()
        .to_ascii_uppercase();
    (plain.len() == 24 && plain.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| hex::encode(Sha256::digest(plain.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_right_for_its_step_and_the_ones_beside_it_only() {
        let secret = new_secret();
        assert_eq!(
            Secret::try_from_base32(&secret)
                .map(|s| s.as_bytes().len())
                .ok(),
            Some(20),
            "160 bits"
        );
        let t = 1_800_000_000u64;
        let code = code_at(&secret, t).expect("code");
        let step = (t / 30) as i64;
        assert_eq!(code_step(&secret, &code, t), Some(step));
        assert_eq!(code_step(&secret, &code, t + 30), Some(step));
        assert_eq!(code_step(&secret, &code, t - 30), Some(step));
        assert_eq!(code_step(&secret, &code, t + 60), None);
        assert_eq!(
            code_step(&secret, &format!("{} {}", &code[..3], &code[3..]), t),
            Some(step)
        );
        assert_eq!(code_step(&secret, "12345", t), None);
        assert_eq!(code_step(&secret, "abcdef", t), None);
    }

    #[test]
    fn the_uri_names_the_issuer_and_carries_the_secret() {
        let secret = new_secret();
        let uri = otpauth_uri(&secret, "staff@demo.example").expect("uri");
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={secret}")), "{uri}");
        assert!(uri.contains("issuer=License%20portal"), "{uri}");
        let svg = qr_svg(&uri).expect("svg");
        assert!(svg.contains("<svg") && !svg.contains("<script"));
    }

    #[test]
    fn recovery_codes_are_ten_of_120_bits_and_match_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let first = &codes[0];
        assert_eq!(first.len(), 24 + 5, "{first}");
        let hash = recovery_hash(first).expect("hash");
        assert_eq!(
            recovery_hash(&first.replace('-', "").to_lowercase()),
            Some(hash.clone())
        );
        assert_eq!(recovery_hash(&format!(" {first} ")), Some(hash));
        assert_ne!(recovery_hash(&codes[1]), recovery_hash(first));
        assert_eq!(recovery_hash("123456"), None);
    }

    #[test]
    fn the_policy_says_who_must_have_it() {
        use crate::domain::roles::Role;
        assert!(Policy::Staff.requires(Role::Staff));
        assert!(!Policy::Staff.requires(Role::Contact));
        assert!(Policy::All.requires(Role::Viewer));
        assert!(!Policy::Off.requires(Role::Staff));
        assert_eq!(Policy::parse("all"), Some(Policy::All));
        assert_eq!(Policy::parse("none"), None);
    }
}
