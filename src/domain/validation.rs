//! What people type, checked: order quantities, references, passwords,
//! license adjustments, emails and dates. Errors are kinds; the words a
//! reader sees live in the message catalog.

use chrono::NaiveDate;

/// Why a field was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldError {
    /// Quantity not a whole number from 1 to the maximum per order.
    Quantity,
    /// Order reference longer than 64 characters or with control characters.
    Reference,
    /// Password shorter than 12 or longer than 128 characters.
    PasswordLength,
    /// Among the most common passwords, also with digits or symbols added
    /// at the end (`password1234`).
    CommonPassword,
    /// Holds the login's email address or the part before `@`.
    PasswordHasEmail,
    /// A license change that is not `+N` / `-N` / `N` with N > 0.
    Adjustment,
    /// A required text left empty.
    Required,
    /// Not an email address.
    Email,
    /// Not a date in the form YYYY-MM-DD.
    Date,
    /// An unknown IANA time zone.
    TimeZone,
    /// A number out of range or malformed.
    Number,
    /// A text longer than allowed, or with control characters.
    TooLong,
    /// An API token's lifetime not empty and not 1 to 365 days.
    Days,
    /// An API token scope that is not one of those offered.
    Scope,
    /// A page number that is not a whole number from 1 to [`MAX_PAGE`].
    Page,
    /// A page size that is not a whole number from 1 to [`MAX_PER_PAGE`].
    PerPage,
    /// A period's first day after its last, or more than
    /// [`MAX_HISTORY_DAYS`] before it.
    Span,
    /// A day before today where only today or later is allowed.
    PastDay,
    /// A period's last day before its first.
    EndBeforeStart,
    /// A period longer than [`MAX_PERIOD_DAYS`], both ends counted.
    PeriodTooLong,
    /// A reduction's first day not after today.
    NotBeforeTomorrow,
    /// An end day on a reduction, which is for good.
    ReduceNoEnd,
    /// An order kind that is neither `add` nor `reduce`.
    Kind,
    /// A rule's quantity not a whole number from 0 to the maximum per order.
    RuleQuantity,
    /// A rule's 30-day ceiling not a whole number from 0 to 1,000,000.
    RulePer30Days,
    /// A message on an order empty, over 2,000 characters, or with control
    /// characters other than line breaks and tabs.
    MessageBody,
    /// A unit over 100 characters or with control characters.
    Unit,
    /// A threshold that is not empty and not a whole number from 1 to 100.
    ThresholdPercent,
    /// A look-ahead that is not a whole number from 0 to 365.
    LookAheadDays,
    /// A switch that is neither `on` nor `off`.
    OnOff,
    /// A price that is not empty and not 0 or more with at most two
    /// decimals (`.` or `,`), at most 1,000,000.
    Price,
    /// A currency that is not three capital letters.
    Currency,
    /// A billing that is neither `monthly` nor `annual`.
    Billing,
    /// A renewal day before today or more than ten years ahead.
    RenewsOn,
}

/// The longest unit, in characters.
pub const MAX_UNIT_CHARS: usize = 100;

/// A user's unit (SPEC 14): trimmed; empty is none (it clears); at most
/// 100 characters and no control characters.
pub fn parse_unit(input: &str) -> Result<Option<String>, FieldError> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_UNIT_CHARS || text.chars().any(char::is_control) {
        return Err(FieldError::Unit);
    }
    Ok(Some(text.to_string()))
}

/// The longest period of temporary licenses, both ends counted.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// The highest page number a list answers.
pub const MAX_PAGE: i64 = 1_000_000;
/// The most items one page of the API holds.
pub const MAX_PER_PAGE: i64 = 1_000;
/// The longest period of recorded history one answer holds, in days.
pub const MAX_HISTORY_DAYS: i64 = 3_660;

/// The default maximum quantity of one order.
pub const DEFAULT_MAX_ORDER_QUANTITY: i64 = 10_000;
/// The longest order reference.
pub const MAX_REFERENCE_CHARS: usize = 64;
/// Password length bounds, in characters.
pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// Strip the spaces and tabs the quantity rule allows around the digits.
fn trim_blank(s: &str) -> &str {
    s.trim_matches(|c| c == ' ' || c == '\t')
}

/// SPEC 4.2: one or more ASCII digits (leading zeros allowed), no sign,
/// optional surrounding spaces or tabs, value from 1 to `max`.
pub fn parse_quantity(input: &str, max: i64) -> Result<i64, FieldError> {
    let digits = trim_blank(input);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::Quantity);
    }
    let mut value: i64 = 0;
    for b in digits.bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or(FieldError::Quantity)?;
    }
    quantity_in_bounds(value, max)
}

/// SPEC 9: the API's `quantity`, a JSON integer (`5`, or `5.0` as JSON
/// Schema's `integer` allows) from 1 to `max`: the same bounds as the
/// form's, in the same place.
pub fn json_quantity(n: &serde_json::Number, max: i64) -> Result<i64, FieldError> {
    let whole = match (n.as_i64(), n.as_f64()) {
        (Some(i), _) => i,
        (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e15 => f as i64,
        _ => return Err(FieldError::Quantity),
    };
    quantity_in_bounds(whole, max)
}

/// A whole quantity from 1 to the maximum per order.
fn quantity_in_bounds(value: i64, max: i64) -> Result<i64, FieldError> {
    if (1..=max).contains(&value) {
        Ok(value)
    } else {
        Err(FieldError::Quantity)
    }
}

/// An optional order reference: trimmed, empty means none.
pub fn parse_reference(input: &str) -> Result<Option<String>, FieldError> {
    // Counted as sent, spaces included, as the API's schema says.
    if input.chars().count() > MAX_REFERENCE_CHARS || input.chars().any(char::is_control) {
        return Err(FieldError::Reference);
    }
    let text = input.trim();
    if text.is_empty() {
        return Ok(None);
    }
    Ok(Some(text.to_string()))
}

/// The most common passwords (Django's list of 20,000, by Royce Williams;
/// BSD-3-Clause, see `data/`), lower-cased, shipped in the binary.
fn common_passwords() -> &'static std::collections::HashSet<&'static str> {
    static LIST: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("../../data/common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect()
    })
}

/// How many passwords the shipped list holds.
pub fn common_password_count() -> usize {
    common_passwords().len()
}

/// A password for the login with `email` (SPEC 8.3): 12 to 128 characters,
/// any characters, no composition rules; refused when, lower-cased, it or
/// what is left of it without its trailing digits, spaces and symbols is a
/// common password, or when it holds the email address or its part before
/// `@` (4 characters or more), whatever the case.
pub fn check_password(password: &str, email: &str) -> Result<(), FieldError> {
    let n = password.chars().count();
    if !(PASSWORD_MIN_CHARS..=PASSWORD_MAX_CHARS).contains(&n) {
        return Err(FieldError::PasswordLength);
    }
    let lower = password.to_lowercase();
    // Without its trailing digits, spaces and symbols; and without its
    // trailing spaces and symbols only (`123456123456!`, `abc123!!!`).
    let stem = lower.trim_end_matches(|c: char| !c.is_alphabetic());
    let stem_digits = lower.trim_end_matches(|c: char| !c.is_alphanumeric());
    let list = common_passwords();
    if list.contains(lower.as_str()) || list.contains(stem) || list.contains(stem_digits) {
        return Err(FieldError::CommonPassword);
    }
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or("");
    if (!email.is_empty() && lower.contains(&email))
        || (local.chars().count() >= 4 && lower.contains(local))
    {
        return Err(FieldError::PasswordHasEmail);
    }
    Ok(())
}

/// A signed license change such as `+10` or `-3` (a bare `5` adds).
pub fn parse_adjustment(input: &str) -> Result<i64, FieldError> {
    let text = trim_blank(input);
    let (sign, digits) = match text.as_bytes().first() {
        Some(b'+') => (1, &text[1..]),
        Some(b'-') => (-1, &text[1..]),
        _ => (1, text),
    };
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::Adjustment);
    }
    let value: i64 = digits.parse().map_err(|_| FieldError::Adjustment)?;
    if value == 0 {
        return Err(FieldError::Adjustment);
    }
    Ok(sign * value)
}

/// A required one-line text, trimmed.
pub fn required_text(input: &str, max_chars: usize) -> Result<String, FieldError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(FieldError::Required);
    }
    if text.chars().count() > max_chars || text.chars().any(char::is_control) {
        return Err(FieldError::TooLong);
    }
    Ok(text.to_string())
}

/// An email address, lower-cased; only the shape is checked.
pub fn parse_email(input: &str) -> Result<String, FieldError> {
    let email = input.trim().to_lowercase();
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
                && !domain.ends_with('.') && !domain.contains('@'));
    if ok {
        Ok(email)
    } else {
        Err(FieldError::Email)
    }
}

/// A date written `YYYY-MM-DD`, exactly.
pub fn parse_date(input: &str) -> Result<NaiveDate, FieldError> {
    let text = input.trim();
    let b = text.as_bytes();
    let shape = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return Err(FieldError::Date);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| FieldError::Date)
}

/// An optional date: empty means none.
pub fn parse_optional_date(input: &str) -> Result<Option<NaiveDate>, FieldError> {
    if input.trim().is_empty() {
        Ok(None)
    } else {
        parse_date(input).map(Some)
    }
}

/// A whole number from 0 to `max` (leading zeros and surrounding blanks
/// allowed), or `err`.
pub fn parse_count(input: &str, max: i64, err: FieldError) -> Result<i64, FieldError> {
    let text = trim_blank(input);
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err);
    }
    match text.parse::<i64>() {
        Ok(value) if value <= max => Ok(value),
        _ => Err(err),
    }
}

/// A message on an order (SPEC 13): plain text of 1 to 2,000 characters,
/// its line breaks kept (as `\n`) and its ends trimmed; no other control
/// characters than tabs.
pub fn parse_message(input: &str) -> Result<String, FieldError> {
    let text = input.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim();
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if text.is_empty()
        || text.chars().count() > crate::domain::orders::MESSAGE_MAX_CHARS
        || text.chars().any(bad)
    {
        return Err(FieldError::MessageBody);
    }
    Ok(text.to_string())
}

/// A count of licenses for a new account.
pub fn parse_licenses(input: &str) -> Result<i64, FieldError> {
    let text = trim_blank(input);
    if text.is_empty() || text.len() > 10 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::Number);
    }
    let value: i64 = text.parse().map_err(|_| FieldError::Number)?;
    if value > crate::domain::orders::MAX_LICENSES {
        return Err(FieldError::Number);
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_keeps_its_line_breaks_and_is_1_to_2000_characters() {
        assert_eq!(parse_message(" a\r\nb\rc\n "), Ok("a\nb\nc".to_string()));
        assert_eq!(parse_message(" \n\t "), Err(FieldError::MessageBody));
        assert_eq!(
            parse_message(&"å".repeat(2000)).map(|m| m.chars().count()),
            Ok(2000)
        );
        assert_eq!(
            parse_message(&"å".repeat(2001)),
            Err(FieldError::MessageBody)
        );
        assert_eq!(parse_message("a\u{7}b"), Err(FieldError::MessageBody));
        assert_eq!(parse_message("<b>\tx</b>"), Ok("<b>\tx</b>".to_string()));
    }

    #[test]
    fn counts_are_whole_numbers_from_zero_to_their_maximum() {
        let e = FieldError::RuleQuantity;
        assert_eq!(parse_count(" 007 ", 10, e), Ok(7));
        assert_eq!(parse_count("0", 10, e), Ok(0));
        assert_eq!(parse_count("10", 10, e), Ok(10));
        for bad in ["11", "", "-1", "1.5", "+3", "99999999999999999999"] {
            assert_eq!(parse_count(bad, 10, e), Err(e), "{bad}");
        }
    }

    #[test]
    fn quantities_are_whole_numbers_from_one_to_the_maximum() {
        assert_eq!(parse_quantity("7", 10_000), Ok(7));
        assert_eq!(parse_quantity(" 7 ", 10_000), Ok(7));
        assert_eq!(parse_quantity("\t007\t", 10_000), Ok(7));
        assert_eq!(parse_quantity("10000", 10_000), Ok(10_000));
        let n = |v: serde_json::Value| v.as_number().cloned().expect("number");
        assert_eq!(json_quantity(&n(serde_json::json!(5)), 10), Ok(5));
        assert_eq!(json_quantity(&n(serde_json::json!(5.0)), 10), Ok(5));
        assert_eq!(
            json_quantity(&n(serde_json::json!(5.5)), 10),
            Err(FieldError::Quantity)
        );
        assert_eq!(
            json_quantity(&n(serde_json::json!(11)), 10),
            Err(FieldError::Quantity)
        );
        assert_eq!(
            json_quantity(&n(serde_json::json!(0)), 10),
            Err(FieldError::Quantity)
        );
        let thirty_digits = "1".repeat(30);
        let long = "9".repeat(5000);
        for bad in [
            "",
            " ",
            "0",
            "-1",
            "1.5",
            "1e3",
            "+5",
            "0x10",
            "\u{0661}",
            "١٢",
            "10001",
            "2147483648",
            &thirty_digits,
            &long,
            "5 5",
            "5\n",
            "\u{a0}5",
        ] {
            assert_eq!(
                parse_quantity(bad, 10_000),
                Err(FieldError::Quantity),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn references_are_optional_and_short() {
        assert_eq!(parse_reference("  "), Ok(None));
        assert_eq!(parse_reference(" PO-1 "), Ok(Some("PO-1".into())));
        assert_eq!(
            parse_reference(&"x".repeat(64)).map(|r| r.is_some()),
            Ok(true)
        );
        assert_eq!(parse_reference(&"x".repeat(65)), Err(FieldError::Reference));
        assert_eq!(parse_reference("a\u{0}b"), Err(FieldError::Reference));
        assert_eq!(
            parse_reference("a\u{85}b"),
            Err(FieldError::Reference),
            "C1 too"
        );
        assert_eq!(
            parse_reference(&format!("{} ", "x".repeat(64))),
            Err(FieldError::Reference),
            "counted as sent"
        );
    }

    #[test]
    fn the_password_rule_refuses_short_long_common_and_email_passwords() {
        let email = "anna.berg@alpha.example";
        let table: [(&str, Result<(), FieldError>); 13] = [
            ("short", Err(FieldError::PasswordLength)),
            ("elevenchars", Err(FieldError::PasswordLength)),
            ("twelve chars", Ok(())),
            ("password1234", Err(FieldError::CommonPassword)),
            ("PASSWORD1234", Err(FieldError::CommonPassword)),
            ("Password 12!!", Err(FieldError::CommonPassword)),
            ("qwertyuiop123", Err(FieldError::CommonPassword)),
            ("123456123456!", Err(FieldError::CommonPassword)),
            ("my anna.berg secret", Err(FieldError::PasswordHasEmail)),
            (
                "ANNA.BERG@ALPHA.EXAMPLE!",
                Err(FieldError::PasswordHasEmail),
            ),
            ("correct horse battery staple", Ok(())),
            ("1234password", Ok(())),
            ("bergsgatan cykel 7", Ok(())),
        ];
        for (password, expected) in table {
            assert_eq!(check_password(password, email), expected, "{password:?}");
        }
        assert_eq!(check_password(&"å".repeat(128), email), Ok(()));
        assert_eq!(
            check_password(&"a".repeat(129), email),
            Err(FieldError::PasswordLength)
        );
        // A local part under 4 characters is too short to say anything.
        assert_eq!(check_password("my bob is here", "bob@x.example"), Ok(()));
        assert!(common_password_count() >= 10_000);
    }

    #[test]
    fn adjustments_are_signed_and_never_zero() {
        assert_eq!(parse_adjustment("+10"), Ok(10));
        assert_eq!(parse_adjustment("-3"), Ok(-3));
        assert_eq!(parse_adjustment("5"), Ok(5));
        for bad in ["", "+", "0", "-0", "1.5", "++1", "x"] {
            assert!(parse_adjustment(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dates_must_be_iso() {
        assert!(parse_date("2026-11-28").is_ok());
        for bad in ["2026-13-01", "2026-2-01", "28/11/2026", "", "2026-11-28x"] {
            assert_eq!(parse_date(bad), Err(FieldError::Date), "{bad:?}");
        }
        assert_eq!(parse_optional_date(""), Ok(None));
    }

    #[test]
    fn emails_are_lowercased_and_shaped() {
        assert_eq!(
            parse_email(" Anna@Example.COM "),
            Ok("anna@example.com".into())
        );
        for bad in ["", "anna", "anna@", "@x.se", "a b@x.se", "a@x"] {
            assert!(parse_email(bad).is_err(), "{bad:?}");
        }
    }
}
