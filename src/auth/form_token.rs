//! The order form's `form_token`: new at each rendering, signed by the
//! server so an unknown or altered token is refused, and bound to the
//! account. Stored on the order it makes, so a resubmission finds that order.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a rendered form stays valid.
const VALID_SECONDS: i64 = 24 * 60 * 60;

/// The token's signature; empty (matching nothing) if the key were refused,
/// which HMAC never does: it takes keys of any length.
fn mac(key: &[u8], account_id: i64, issued: i64, nonce: &str) -> String {
    match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(mut m) => {
            m.update(format!("order-form:{account_id}:{issued}:{nonce}").as_bytes());
            hex::encode(m.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// A fresh token for the account's order form.
pub fn issue(key: &[u8], account_id: i64, now_unix: i64) -> String {
    let nonce = &super::random_token()[..32];
    format!(
        "{now_unix}.{nonce}.{}",
        mac(key, account_id, now_unix, nonce)
    )
}

/// Whether the server issued this token for this account, recently.
pub fn verify(key: &[u8], token: &str, account_id: i64, now_unix: i64) -> bool {
    let mut parts = token.split('.');
    let (Some(issued), Some(nonce), Some(sent_mac), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Ok(issued) = issued.parse::<i64>() else {
        return false;
    };
    let fresh = match (issued.checked_sub(60), now_unix.checked_sub(issued)) {
        (Some(earliest), Some(age)) => now_unix >= earliest && age <= VALID_SECONDS,
        _ => false,
    };
    if !fresh {
        return false;
    }
    super::csrf::tokens_match(sent_mac, &mac(key, account_id, issued, nonce))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_valid_for_its_account_for_a_day() {
        let key = b"k".repeat(32);
        let t = issue(&key, 7, 1_000_000);
        assert!(verify(&key, &t, 7, 1_000_000));
        assert!(verify(&key, &t, 7, 1_000_000 + VALID_SECONDS));
        assert!(!verify(&key, &t, 7, 1_000_000 + VALID_SECONDS + 1));
        assert!(!verify(&key, &t, 8, 1_000_000));
        assert!(!verify(b"other key", &t, 7, 1_000_000));
        assert!(!verify(&key, "", 7, 1_000_000));
        assert!(!verify(
            &key,
            &format!("{}.{}.x", i64::MIN, "n"),
            7,
            1_000_000
        ));
        assert!(!verify(
            &key,
            &format!("{}.{}.x", i64::MAX, "n"),
            7,
            i64::MIN
        ));
        assert!(!verify(&key, &t.replace('.', ":"), 7, 1_000_000));
        assert_ne!(issue(&key, 7, 1_000_000), t);
    }
}
