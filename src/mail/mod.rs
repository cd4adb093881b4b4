//! Mail (SPEC 7): every mail is composed in its recipient's language from
//! the templates in `templates/mail/`, written to the `outbox` in the same
//! transaction as the change it reports, and sent afterwards by the
//! [`worker`]. What each change sends is in [`notify`].

pub mod notify;
pub mod worker;

use askama::Template;
use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::domain::mail::MailKind;
use crate::i18n::Lang;
use crate::models::outbox::{NewOutboxMail, OutboxMail};

/// What the changes that write mail need to know: where links point, who
/// the order desk is, and the time the change happens at (the app's clock,
/// so "today" is the account's today).
#[derive(Clone, Debug)]
pub struct MailContext {
    /// Links start with this, without a trailing slash.
    pub base_url: String,
    /// Told of new and cancelled orders; empty: every enabled staff login.
    pub order_desk: Vec<String>,
    pub now: chrono::DateTime<chrono::Utc>,
}

impl MailContext {
    /// For a command that writes mail: links from `PORTAL_PUBLIC_URL`, else
    /// `http://` and `PORTAL_BIND` (default `127.0.0.1:8080`); the order desk
    /// from `PORTAL_ORDER_DESK`.
    pub fn from_env() -> MailContext {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let base_url = match var("PORTAL_PUBLIC_URL") {
            Some(url) => url.trim().trim_end_matches('/').to_string(),
            None => format!(
                "http://{}",
                var("PORTAL_BIND").unwrap_or_else(|| "127.0.0.1:8080".into())
            ),
        };
        MailContext {
            base_url,
            order_desk: crate::config::MailSettings::from_env().order_desk,
            now: chrono::Utc::now(),
        }
    }

    /// A link to a path of the portal.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// A mail composed and ready for the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Letter {
    pub kind: MailKind,
    pub to: String,
    pub subject: String,
    pub body: String,
}

impl Letter {
    /// Render a mail template: its first line is the subject, the rest
    /// the body.
    pub fn render(kind: MailKind, to: &str, template: &impl Template) -> Result<Letter, MailError> {
        let text = template.render()?;
        let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        Ok(Letter {
            kind,
            to: to.to_string(),
            subject: subject.trim().to_string(),
            body: format!("{}\n", body.trim()),
        })
    }

    /// Write it to the outbox in the caller's transaction; due at once.
    pub fn queue(&self, conn: &mut DbConnection, now: NaiveDateTime) -> diesel::QueryResult<i64> {
        OutboxMail::insert(
            conn,
            &NewOutboxMail {
                kind: self.kind.as_str(),
                to_address: &self.to,
                subject: &self.subject,
                body: &self.body,
                created_at: now,
                next_attempt_at: now,
            },
        )
    }
}

/// Why a mail could not be written.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("a mail template failed: {0}")]
    Render(#[from] askama::Error),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// The body of a sent mail as it may be kept: a one-time link's token is
/// cut out (the database keeps only its hash).
pub fn without_links(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut rest = body;
    loop {
        let next = ["/invitation/", "/reset/"]
            .iter()
            .filter_map(|marker| rest.find(marker).map(|i| (i, marker.len())))
            .min();
        let Some((at, len)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..at + len]);
        let after = &rest[at + len..];
        let token_len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(after.len());
        if token_len > 0 {
            out.push('…');
        }
        rest = &after[token_len..];
    }
}

/// The language a mail to this login speaks: its choice, else English.
pub fn lang_of(language: Option<Lang>) -> Lang {
    language.unwrap_or(Lang::En)
}

/// The templates, one per kind; both languages in each file.
pub mod templates {
    use askama::Template;

    #[derive(Template)]
    #[template(path = "mail/invitation.txt")]
    pub struct Invitation<'a> {
        pub sv: bool,
        pub name: &'a str,
        pub account: Option<&'a str>,
        pub link: &'a str,
        pub expires: &'a str,
        pub sign_in: &'a str,
    }

    #[derive(Template)]
    #[template(path = "mail/password_reset.txt")]
    pub struct PasswordReset<'a> {
        pub sv: bool,
        pub link: &'a str,
        pub expires: &'a str,
    }

    #[derive(Template)]
    #[template(path = "mail/password_changed.txt")]
    pub struct PasswordChanged<'a> {
        pub sv: bool,
        pub email: &'a str,
        pub at: &'a str,
    }

    #[derive(Template)]
    #[template(path = "mail/order_placed.txt")]
    pub struct OrderPlaced<'a> {
        pub sv: bool,
        pub cancelled: bool,
        /// Approved at once by the account's rule (SPEC 13).
        pub by_rule: bool,
        pub order_id: i64,
        pub account: &'a str,
        pub quantity: i64,
        pub reference: &'a str,
        pub by: &'a str,
        pub link: &'a str,
    }

    #[derive(Template)]
    #[template(path = "mail/order_decided.txt")]
    pub struct OrderDecided<'a> {
        pub sv: bool,
        pub approved: bool,
        pub by_rule: bool,
        pub order_id: i64,
        pub quantity: i64,
        pub reference: &'a str,
        pub note: &'a str,
        pub licenses: i64,
        pub link: &'a str,
    }

    #[derive(Template)]
    #[template(path = "mail/licenses_ending.txt")]
    pub struct LicensesEnding<'a> {
        pub sv: bool,
        pub account: &'a str,
        pub ending: i64,
        pub last_day: &'a str,
        pub day_after: &'a str,
        pub owned: i64,
        pub counted: i64,
        pub counted_link: &'a str,
        pub order_link: &'a str,
    }

    #[derive(Template)]
    #[template(path = "mail/order_message.txt")]
    pub struct OrderMessageMail<'a> {
        pub sv: bool,
        /// To the order desk (a customer wrote), or to the customer.
        pub to_vendor: bool,
        pub order_id: i64,
        pub account: &'a str,
        pub from: &'a str,
        pub body: &'a str,
        pub link: &'a str,
    }

    #[derive(Template)]
    #[template(path = "mail/usage_threshold.txt")]
    pub struct UsageThreshold<'a> {
        pub sv: bool,
        pub account: &'a str,
        pub threshold: i32,
        pub owned: i64,
        pub counted: i64,
        /// The share counted, in whole percent (rounded down).
        pub percent: i64,
        pub counted_link: &'a str,
        pub order_link: &'a str,
        pub settings_link: &'a str,
    }

    #[derive(Template)]
    #[template(path = "mail/forecast_short.txt")]
    pub struct ForecastShort<'a> {
        pub sv: bool,
        pub account: &'a str,
        pub day: &'a str,
        pub owned: i64,
        pub counted: i64,
        /// Temporary licenses ending the day before (0: none).
        pub ending: i64,
        /// A reduction taking effect that day (0: none).
        pub reduced_by: i64,
        pub counted_link: &'a str,
        pub order_link: &'a str,
        pub settings_link: &'a str,
    }

    #[derive(Template)]
    #[template(path = "mail/renewal_coming.txt")]
    pub struct RenewalComing<'a> {
        pub sv: bool,
        pub account: &'a str,
        pub renews_on: &'a str,
        pub owned: i64,
        pub counted: i64,
        /// Users counted on the renewal day as forecast now.
        pub forecast: i64,
        /// How many fewer would do from the renewal day (0: none).
        pub fewer: i64,
        pub reduce_link: &'a str,
        pub agreement_link: &'a str,
    }

    #[derive(Template)]
    #[template(path = "mail/over_licenses.txt")]
    pub struct OverLicenses<'a> {
        pub sv: bool,
        pub account: &'a str,
        pub owned: i64,
        pub counted: i64,
        pub suggested: Option<i64>,
        pub link: &'a str,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sent_body_keeps_no_token_of_a_link() {
        let token = crate::models::login_token::new_token();
        let body = format!(
            "Set it at http://x.example/invitation/{token}\nor http://x.example/reset/{token}.\nBye"
        );
        let kept = without_links(&body);
        assert!(!kept.contains(&token), "{kept}");
        assert_eq!(
            kept,
            "Set it at http://x.example/invitation/…\nor http://x.example/reset/….\nBye"
        );
        assert_eq!(without_links("no link here"), "no link here");
    }

    #[test]
    fn every_kind_renders_in_both_languages_with_a_subject() {
        use templates::*;
        for sv in [false, true] {
            let letters = [
                Letter::render(
                    MailKind::Invitation,
                    "a@x.example",
                    &Invitation {
                        sv,
                        name: "Anna",
                        account: Some("Alpha AB"),
                        link: "L",
                        expires: "E",
                        sign_in: "S",
                    },
                ),
                Letter::render(
                    MailKind::PasswordReset,
                    "a@x.example",
                    &PasswordReset {
                        sv,
                        link: "L",
                        expires: "E",
                    },
                ),
                Letter::render(
                    MailKind::PasswordChanged,
                    "a@x.example",
                    &PasswordChanged {
                        sv,
                        email: "a@x.example",
                        at: "T",
                    },
                ),
                Letter::render(
                    MailKind::OrderPlaced,
                    "a@x.example",
                    &OrderPlaced {
                        sv,
                        cancelled: false,
                        by_rule: sv,
                        order_id: 1,
                        account: "Alpha AB",
                        quantity: 5,
                        reference: "PO-1",
                        by: "Anna",
                        link: "L",
                    },
                ),
                Letter::render(
                    MailKind::OrderDecided,
                    "a@x.example",
                    &OrderDecided {
                        sv,
                        approved: true,
                        by_rule: !sv,
                        order_id: 1,
                        quantity: 5,
                        reference: "",
                        note: "ok",
                        licenses: 15,
                        link: "L",
                    },
                ),
                Letter::render(
                    MailKind::OrderMessage,
                    "a@x.example",
                    &OrderMessageMail {
                        sv,
                        to_vendor: sv,
                        order_id: 1,
                        account: "Alpha AB",
                        from: "anna@x.example",
                        body: "Is this for the new store?\nPO 7",
                        link: "L",
                    },
                ),
                Letter::render(
                    MailKind::OverLicenses,
                    "a@x.example",
                    &OverLicenses {
                        sv,
                        account: "Alpha AB",
                        owned: 10,
                        counted: 12,
                        suggested: Some(2),
                        link: "L",
                    },
                ),
                Letter::render(
                    MailKind::UsageThreshold,
                    "a@x.example",
                    &UsageThreshold {
                        sv,
                        account: "Alpha AB",
                        threshold: 90,
                        owned: 10,
                        counted: 9,
                        percent: 90,
                        counted_link: "C",
                        order_link: "O",
                        settings_link: "S",
                    },
                ),
                Letter::render(
                    MailKind::RenewalComing,
                    "a@x.example",
                    &RenewalComing {
                        sv,
                        account: "Alpha AB",
                        renews_on: "D",
                        owned: 20,
                        counted: 15,
                        forecast: 12,
                        fewer: 8,
                        reduce_link: "R",
                        agreement_link: "A",
                    },
                ),
                Letter::render(
                    MailKind::ForecastShort,
                    "a@x.example",
                    &ForecastShort {
                        sv,
                        account: "Alpha AB",
                        day: "D",
                        owned: 10,
                        counted: 12,
                        ending: 3,
                        reduced_by: 1,
                        counted_link: "C",
                        order_link: "O",
                        settings_link: "S",
                    },
                ),
            ];
            for letter in letters {
                let letter = letter.expect("renders");
                assert!(!letter.subject.is_empty(), "{letter:?}");
                assert!(letter.body.len() > 20, "{letter:?}");
                assert!(!letter.subject.contains('\n'));
            }
        }
    }
}
