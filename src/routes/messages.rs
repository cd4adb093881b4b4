//! A word on each order (SPEC 13): the messages as pages show them, and
//! the customer's form. The staff side is in `staff::order`.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::auth::{Contact, SignedIn};
use crate::domain::orders::{median_wait, Clash, MEDIAN_DAYS};
use crate::domain::validation;
use crate::error::AppError;
use crate::models::order_message::MessageView;
use crate::models::{now_utc, LicenseOrder};
use crate::ops::{self, OpError, Writer};
use crate::routes::pages::{render, see_other};
use crate::routes::path_id;
use crate::state::AppState;

/// A message as a page shows it; `body` is escaped by the template and
/// keeps its line breaks by CSS (`white-space: pre-wrap`).
pub struct MessageLine {
    pub id: i64,
    pub from: String,
    pub vendor: bool,
    pub at: String,
    pub body: String,
}

impl MessageLine {
    pub fn of(v: MessageView, who: &SignedIn) -> MessageLine {
        let t = who.lang.msgs();
        MessageLine {
            id: v.message.id,
            from: v.from.unwrap_or_else(|| t.the_vendor.to_string()),
            vendor: v.from_vendor,
            at: v.message.at.format("%Y-%m-%d %H:%M").to_string(),
            body: v.message.body,
        }
    }
}

/// An order's messages and its form, as both order pages show them
/// (`templates/account/messages.html`).
pub struct Conversation {
    pub messages: Vec<MessageLine>,
    /// The form is shown (a contact or staff, while the order takes messages).
    pub may_write: bool,
    /// Messages closed (30 days after the decision).
    pub closed: bool,
    pub error: Option<String>,
    /// The body as sent, when refused.
    pub body: String,
    /// Where the form posts.
    pub action: String,
}

impl Conversation {
    pub fn new(
        views: Vec<MessageView>,
        who: &SignedIn,
        open: bool,
        writer: bool,
        action: String,
    ) -> Conversation {
        Conversation {
            messages: views.into_iter().map(|m| MessageLine::of(m, who)).collect(),
            may_write: open && writer,
            closed: !open,
            error: None,
            body: String::new(),
            action,
        }
    }
}

/// The median time from placing to deciding over the last 90 days (rule
/// approvals left out), or `None` while there are fewer than 10.
pub fn median_decision(conn: &mut crate::db::DbConnection) -> diesel::QueryResult<Option<i64>> {
    let since = now_utc() - chrono::Duration::days(MEDIAN_DAYS);
    Ok(median_wait(LicenseOrder::decision_seconds_since(
        conn, since,
    )?))
}

#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    pub body: String,
}

/// What a message form's post came to: posted, or the page again with why.
pub enum Posted {
    Done,
    Refused(StatusCode, String),
}

/// Which side writes.
#[derive(Clone, Copy, Debug)]
pub enum Side {
    Customer { account_id: i64 },
    Staff,
}

/// Check and post a message; a refusal is the page's to show.
pub async fn post(
    state: &AppState,
    who: &SignedIn,
    side: Side,
    order_id: i64,
    body: &str,
) -> Result<Posted, AppError> {
    let t = who.lang.msgs();
    let body = match validation::parse_message(body) {
        Ok(body) => body,
        Err(e) => {
            return Ok(Posted::Refused(
                StatusCode::UNPROCESSABLE_ENTITY,
                t.field_error(e).to_string(),
            ))
        }
    };
    let login = who.login.clone();
    let done = state
        .op(move |conn, ctx| {
            let writer = match side {
                Side::Customer { account_id } => Writer::Customer {
                    login: &login,
                    account_id,
                },
                Side::Staff => Writer::Vendor(ops::Decider::staff(&login)),
            };
            ops::post_message(conn, ctx, writer, order_id, &body)
        })
        .await?;
    match done {
        Ok(_) => Ok(Posted::Done),
        Err(OpError::Clash(Clash::MessagesClosed)) => Ok(Posted::Refused(
            StatusCode::CONFLICT,
            who.lang.clash(Clash::MessagesClosed),
        )),
        Err(e) => Err(e.into()),
    }
}

/// `POST /account/orders/{id}/messages` (contact) -> 303 to the order; the
/// order page again with 422 (the body) or 409 (closed), nothing stored.
pub async fn customer_post(
    who: Contact,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<MessageForm>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let account_id = who.account().id;
    match post(&state, &who, Side::Customer { account_id }, id, &form.body).await? {
        Posted::Done => {
            who.session.set_flash(crate::i18n::Flash::MessageSent);
            Ok(see_other(&format!("/account/orders/{id}#messages")))
        }
        Posted::Refused(status, why) => {
            let mut page = super::account::order_page(&who, &state, id).await?;
            page.talk.error = Some(why);
            page.talk.body = form.body.clone();
            render(status, &page)
        }
    }
}
