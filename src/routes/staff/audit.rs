//! The audit log, newest first (SPEC 4.3).

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::Staff;
use crate::error::AppError;
use crate::models::{Account, AuditEvent, Login};
use crate::routes::pages::{ok, Chrome, Pager};
use crate::state::AppState;

/// An audit event as a row.
pub struct AuditLine {
    pub at: String,
    pub kind: String,
    pub kind_text: &'static str,
    pub account: String,
    pub who: String,
    pub details: String,
}

#[derive(Template)]
#[template(path = "staff/audit.html")]
pub struct AuditPage {
    pub c: Chrome,
    pub events: Vec<AuditLine>,
    pub accounts: Vec<(i64, String)>,
    pub selected: Option<i64>,
    pub pager: Pager,
}

impl AuditPage {
    pub fn is_selected(&self, id: impl crate::routes::pages::AsNumber) -> bool {
        self.selected == Some(id.as_number())
    }
}

#[derive(Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    account: String,
    #[serde(default)]
    page: Option<String>,
}

/// `GET /staff/audit?account=ID`: newest first.
pub async fn audit(
    who: Staff,
    state: web::Data<AppState>,
    q: web::Query<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    let selected = match q.account.trim() {
        "" => None,
        raw => Some(raw.parse::<i64>().map_err(|_| AppError::BadRequest)?),
    };
    let page = Pager::parse(q.page.as_deref())?;
    let (events, total, accounts, logins) = state
        .db(move |conn| {
            let (events, total) =
                AuditEvent::list(conn, selected, Pager::offset(page), Pager::SIZE)?;
            let accounts = Account::all(conn)?;
            let mut logins = HashMap::new();
            for e in &events {
                if let Some(id) = e.login_id {
                    if let std::collections::hash_map::Entry::Vacant(v) = logins.entry(id) {
                        v.insert(Login::find(conn, id)?.map(|l| l.email).unwrap_or_default());
                    }
                }
            }
            Ok((events, total, accounts, logins))
        })
        .await?;
    let names: HashMap<i64, String> = accounts.iter().map(|a| (a.id, a.name.clone())).collect();
    let t = who.lang.msgs();
    ok(&AuditPage {
        c: Chrome::signed_in(&who, "audit", "/staff/audit"),
        events: events
            .iter()
            .map(|e| AuditLine {
                at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
                kind: e.kind.as_str().to_string(),
                kind_text: t.audit_kind(e.kind),
                account: e
                    .account_id
                    .and_then(|id| names.get(&id).cloned())
                    .unwrap_or_default(),
                who: e
                    .login_id
                    .and_then(|id| logins.get(&id).cloned())
                    .unwrap_or_else(|| t.audit_cli.into()),
                details: e.details.clone(),
            })
            .collect(),
        accounts: accounts.iter().map(|a| (a.id, a.name.clone())).collect(),
        selected,
        pager: Pager::new(who.lang, page, total, |p| match selected {
            Some(a) => format!("/staff/audit?account={a}&page={p}"),
            None => format!("/staff/audit?page={p}"),
        }),
    })
}
