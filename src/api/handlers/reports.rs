//! The active-user report of a day, and the recorded history.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use crate::domain::validation::FieldError;
use crate::models::report::{DayReport, Source};
use crate::models::snapshot::Snapshot;
use crate::state::AppState;

use crate::api::auth::{OwnAccount, Token};
use crate::api::problem::answers::{Always, Invalid};
use crate::api::problem::{ApiError, BadField, FieldText};
use crate::api::types::*;

#[allow(unused_imports)]
use super::*;

#[utoipa::path(get, path = "/api/v1/reports/active-users", tag = "account",
    description = "The active-user report of a day (default today): the counted users, for a day before today as they stood at the end of that day (from the users' history); before any history, the count its snapshot recorded and no list.",
    params(("on" = Option<String>, Query, format = Date)),
    responses((status = 200, body = ReportBody), Always, Invalid),
    security(("bearer" = [])))]
pub async fn report(
    who: Token<OwnAccount>,
    state: web::Data<AppState>,
    q: Params,
) -> Result<HttpResponse, ApiError> {
    let account = who.own_account()?.clone();
    let now = state.clock.now();
    let today = account.today(now);
    let on = day_param(&q, "on")?.unwrap_or(today);
    let acct = account.clone();
    let found = state
        .db(move |conn| {
            crate::maintenance::record_snapshot(conn, &acct, now)?;
            let report = DayReport::of(conn, &acct, on, today)?;
            Ok(match report.source {
                Source::NoRecord => None,
                Source::Snapshot { active_users } => {
                    Some((active_users, report.licenses, Vec::new()))
                }
                Source::Live | Source::History => {
                    let users = report.counted(conn)?;
                    Some((users.len() as i64, report.licenses, users))
                }
            })
        })
        .await?;
    let Some((active_users, licenses, users)) = found else {
        return Err(ApiError::Unprocessable(vec![BadField {
            index: None,
            field: "on".into(),
            text: FieldText::NoRecord,
        }]));
    };
    Ok(json(
        StatusCode::OK,
        &ReportBody {
            day: on.to_string(),
            active_users,
            licenses,
            by_unit: crate::domain::report::count_by_unit(users.iter().map(|u| u.unit.as_deref()))
                .into_iter()
                .map(|(unit, active_users)| UnitCount { unit, active_users })
                .collect(),
            users: users.iter().map(|u| UserBody::of(u, on)).collect(),
        },
    ))
}

#[utoipa::path(get, path = "/api/v1/reports/history", tag = "account",
    description = "The recorded snapshots from `from` to `to`, both included (default: the last 90 days before `to`, which is today by default). `from` may not be after `to` nor more than 3660 days before it (422 naming `from`).",
    params(("from" = Option<String>, Query, format = Date), ("to" = Option<String>, Query, format = Date)),
    responses((status = 200, body = HistoryBody), Always, Invalid),
    security(("bearer" = [])))]
pub async fn history(
    who: Token<OwnAccount>,
    state: web::Data<AppState>,
    q: Params,
) -> Result<HttpResponse, ApiError> {
    let account = who.own_account()?.clone();
    let today = account.today(state.clock.now());
    let to = day_param(&q, "to")?.unwrap_or(today);
    let from = day_param(&q, "from")?.unwrap_or(to - chrono::Duration::days(90));
    if from > to || (to - from).num_days() > MAX_HISTORY_DAYS {
        return Err(ApiError::field("from", FieldError::Span));
    }
    let days = state
        .db(move |conn| Ok(Snapshot::history(conn, account.id, from)?))
        .await?;
    Ok(json(
        StatusCode::OK,
        &HistoryBody {
            days: days
                .into_iter()
                .filter(|s| s.day <= to)
                .map(|s| DayBody {
                    day: s.day.to_string(),
                    active_users: s.active_users,
                    licenses: s.licenses,
                })
                .collect(),
        },
    ))
}
