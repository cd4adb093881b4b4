//! `POST /staff/accounts/{id}/rule`: an account's approval rule (SPEC 13).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

use super::accounts::{account_page, AccountForms};
use crate::auth::Staff;
use crate::domain::orders::{Rule, RULE_MAX_PER_30_DAYS};
use crate::domain::validation::{self, FieldError};
use crate::error::AppError;
use crate::models::Account;
use crate::ops::{self, OpError};
use crate::routes::pages::{render, see_other};
use crate::routes::path_id;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct RuleForm {
    #[serde(default)]
    max_quantity: String,
    #[serde(default)]
    max_per_30_days: String,
}

/// Set the rule -> 303 to the account; the page again with 422 and what is
/// allowed, nothing changed.
pub async fn set_rule(
    who: Staff,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<RuleForm>,
) -> Result<HttpResponse, AppError> {
    let id = path_id(&path)?;
    let f = form.into_inner();
    let max_order = state.settings.max_order_quantity;
    let quantity = validation::parse_count(&f.max_quantity, max_order, FieldError::RuleQuantity);
    let per = validation::parse_count(
        &f.max_per_30_days,
        RULE_MAX_PER_30_DAYS,
        FieldError::RulePer30Days,
    );
    if let (Ok(max_quantity), Ok(max_per_30_days)) = (quantity, per) {
        let rule = Rule {
            max_quantity,
            max_per_30_days,
        };
        let by = who.login.clone();
        match state
            .op(move |conn, _| ops::set_rule(conn, &by, id, rule))
            .await?
        {
            Ok(()) => {
                who.session.set_flash(crate::i18n::Flash::RuleSaved);
                return Ok(see_other(&format!("/staff/accounts/{id}#rule")));
            }
            Err(OpError::UnknownAccount) => return Err(AppError::NotFound),
            Err(e) => return Err(e.into()),
        }
    }
    // The account must exist before its page says what was wrong.
    state
        .db(move |conn| Account::find(conn, id)?.ok_or(AppError::NotFound))
        .await?;
    let t = who.lang.msgs();
    let forms = AccountForms {
        role: "contact".into(),
        rule_quantity: Some(f.max_quantity.clone()),
        rule_per: Some(f.max_per_30_days.clone()),
        rule_quantity_error: quantity
            .err()
            .map(|_| who.lang.rule_quantity_rule(max_order)),
        rule_per_error: per.err().map(|e| t.field_error(e)),
        ..Default::default()
    };
    let page = account_page(&who, &state, id, forms).await?;
    render(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
