//! `/staff/outbox`: mail waiting and failed, and sending a failed one
//! again (SPEC 7).

use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::Staff;
use crate::domain::mail::MailStatus;
use crate::error::AppError;
use crate::models::now_utc;
use crate::models::outbox::OutboxMail;
use crate::routes::pages::{ok, see_other, Chrome};
use crate::routes::path_id;
use crate::state::AppState;

/// A mail as a row.
pub struct MailLine {
    pub id: i64,
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub attempts: i32,
    pub next: String,
    pub error: String,
    pub failed: bool,
    pub status_text: &'static str,
}

#[derive(Template)]
#[template(path = "staff/outbox.html")]
pub struct OutboxPage {
    pub c: Chrome,
    pub mails: Vec<MailLine>,
}

/// `GET /staff/outbox`: failed first, then waiting, oldest first.
pub async fn outbox(who: Staff, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let mails = state
        .db(move |conn| Ok(OutboxMail::unsent(conn, 200)?))
        .await?;
    let t = who.lang.msgs();
    ok(&OutboxPage {
        c: Chrome::signed_in(&who, "outbox", "/staff/outbox"),
        mails: mails
            .into_iter()
            .map(|m| MailLine {
                id: m.id,
                kind: m.kind.as_str().to_string(),
                to: m.to_address,
                subject: m.subject,
                attempts: m.attempts,
                next: m.next_attempt_at.format("%Y-%m-%d %H:%M:%S").to_string(),
                error: m.last_error.unwrap_or_default(),
                failed: m.status == MailStatus::Failed,
                status_text: if m.status == MailStatus::Failed {
                    t.mail_failed
                } else {
                    t.mail_pending
                },
            })
            .collect(),
    })
}

/// `POST /staff/outbox/{id}/retry`: a failed mail is pending again, due
/// now, its tries counted from zero. One that is not failed: 409.
pub async fn retry(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let retried = state
        .db(move |conn| {
            OutboxMail::find(conn, id)?.ok_or(AppError::NotFound)?;
            Ok(OutboxMail::retry(conn, id, now_utc())?)
        })
        .await?;
    if !retried {
        return Err(AppError::AlreadyDecided);
    }
    state.mail_wake.wake();
    tracing::info!(
        mail_id = id,
        login_id = who.login.id,
        "failed mail queued again"
    );
    who.session.set_flash(crate::i18n::Flash::MailRetried);
    Ok(see_other("/staff/outbox"))
}
