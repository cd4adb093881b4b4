//! `GET /account/reports/active-users[.csv]?on=YYYY-MM-DD`: the active-user
//! report of a day, its chart of history and forecast, and the CSV.

use actix_web::http::{header, StatusCode};
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::Customer;
use crate::domain::import::{COLUMNS, UNIT_COLUMN};
use crate::domain::ledger::{self, Span};
use crate::domain::report::{self, Chart, UnitOrder, HORIZON_DAYS};
use crate::domain::validation;
use crate::error::AppError;
use crate::maintenance;
use crate::models::ledger::LedgerRow;
use crate::models::report::DayReport;
use crate::models::snapshot::Snapshot;
use crate::models::user::{UnitFilter, UserFilter, UserSearch};
use crate::models::{Account, User};
use crate::routes::pages::{ok, render, Chrome, MessagePage, Pager};
use crate::routes::users::UserLine;
use crate::state::AppState;

/// Rows fetched per step of the CSV stream.
const CSV_CHUNK: i64 = 1000;

#[derive(Template)]
#[template(path = "account/report.html")]
pub struct ReportPage {
    pub c: Chrome,
    pub on: String,
    pub count: Option<i64>,
    pub from_snapshot: bool,
    pub no_record: bool,
    pub rows: Vec<UserLine>,
    pub pager: Pager,
    pub chart: Chart,
    pub chart_start: String,
    pub chart_end: String,
    pub today: String,
    pub frees: Vec<String>,
    /// The day's licenses owned (`#report-licenses`).
    pub licenses: i64,
    /// The first day the forecast exceeds the licenses (`#short-from`).
    pub short_from: Option<(String, String)>,
    /// The table by unit: one page of it.
    pub units: Vec<UnitRow>,
    /// How many units the table has (after the search).
    pub units_total: usize,
    pub units_pager: Pager,
    /// `count` or `name`.
    pub units_sort: &'static str,
    pub unit_q: String,
}

/// A line of the report's table by unit.
pub struct UnitRow {
    /// The unit's name ("" for no unit).
    pub unit: String,
    pub name: String,
    pub value: i64,
    /// The users list kept to the unit's counted users.
    pub link: String,
}

#[derive(Deserialize)]
pub struct ReportQuery {
    #[serde(default)]
    on: Option<String>,
    #[serde(default)]
    page: Option<String>,
    /// The table by unit: `count` (default) or `name`.
    #[serde(default)]
    units: Option<String>,
    #[serde(default)]
    unit_q: Option<String>,
    #[serde(default)]
    units_page: Option<String>,
}

/// Where the table by unit stands: its sort, search and page.
struct UnitView {
    order: UnitOrder,
    find: String,
    page: i64,
}

impl UnitView {
    fn of(q: &ReportQuery) -> Result<UnitView, AppError> {
        let order = match q.units.as_deref().map(str::trim) {
            None | Some("" | "count") => UnitOrder::Count,
            Some("name") => UnitOrder::Name,
            Some(_) => return Err(AppError::BadRequest),
        };
        let find: String = q
            .unit_q
            .as_deref()
            .unwrap_or("")
            .trim()
            .chars()
            .filter(|c| !c.is_control())
            .take(100)
            .collect();
        Ok(UnitView {
            order,
            find,
            page: Pager::parse(q.units_page.as_deref())?,
        })
    }

    fn url(&self, on: NaiveDate, page: i64) -> String {
        let mut url = format!("/account/reports/active-users?on={on}");
        if self.order == UnitOrder::Name {
            url.push_str("&units=name");
        }
        if !self.find.is_empty() {
            url.push_str("&unit_q=");
            url.push_str(&crate::routes::users::percent_encode(&self.find));
        }
        if page > 1 {
            url.push_str(&format!("&units_page={page}"));
        }
        url.push_str("#by-unit");
        url
    }

    /// One page of the table, how many units it has, and its pager.
    fn rows(
        &self,
        who: &Customer,
        on: NaiveDate,
        lines: Vec<report::UnitLine>,
    ) -> (Vec<UnitRow>, usize, Pager) {
        let mut lines = report::find_units(lines, &self.find);
        report::sort_units(&mut lines, self.order);
        let total = lines.len();
        let skip = usize::try_from(Pager::offset(self.page)).unwrap_or(usize::MAX);
        let rows = lines
            .into_iter()
            .skip(skip)
            .take(Pager::SIZE as usize)
            .map(|(unit, value)| {
                let filter = match &unit {
                    Some(u) => UnitFilter::Is(u.clone()),
                    None => UnitFilter::NoUnit,
                };
                UnitRow {
                    name: unit
                        .clone()
                        .unwrap_or_else(|| who.lang.msgs().no_unit.to_string()),
                    unit: unit.unwrap_or_default(),
                    value,
                    link: crate::routes::users::users_url(
                        &UserSearch {
                            filter: UserFilter::Counted,
                            unit: filter,
                            q: String::new(),
                        },
                        1,
                    ),
                }
            })
            .collect();
        let pager = Pager::new(who.lang, self.page, total as i64, |p| self.url(on, p));
        (rows, total, pager)
    }
}

/// The day asked for: missing means today; malformed is 400.
fn day_of(raw: Option<&str>, today: NaiveDate) -> Result<NaiveDate, AppError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(today),
        Some(text) => validation::parse_date(text).map_err(|_| AppError::BadRequest),
    }
}

fn report_url(on: NaiveDate, page: i64) -> String {
    format!("/account/reports/active-users?on={on}&page={page}")
}

/// Everything the page shows, read in one go.
struct ReportData {
    licenses: i64,
    count: Option<i64>,
    users: Vec<User>,
    units: Vec<report::UnitLine>,
    history: Vec<Snapshot>,
    counted_today: i64,
    end_dates: Vec<(NaiveDate, i64)>,
    /// The account's ledger rows.
    spans: Vec<Span>,
    /// The first day from today on with fewer licenses than users counted.
    short_from: Option<NaiveDate>,
}

/// `GET /account/reports/active-users?on=`.
pub async fn active_users(
    who: Customer,
    state: web::Data<AppState>,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let account: Account = who.account().clone();
    let now = state.clock.now();
    let today = account.today(now);
    let on = day_of(q.on.as_deref(), today)?;
    let page = Pager::parse(q.page.as_deref())?;
    let unit_view = UnitView::of(&q)?;
    let past = on < today;
    let acct = account.clone();
    let data = state
        .db(move |conn| {
            // Viewing a report records today's snapshot when it is missing.
            maintenance::record_snapshot(conn, &acct, now)?;
            let report = DayReport::of(conn, &acct, on, today)?;
            let (users, count, units) =
                report.page_and_units(conn, Pager::offset(page), Pager::SIZE)?;
            let licenses = report.licenses;
            let history = Snapshot::history(
                conn,
                acct.id,
                today - chrono::Duration::days(HORIZON_DAYS as i64),
            )?;
            let counted_today = User::count_counted(conn, acct.id, today)?;
            let horizon = today + chrono::Duration::days(HORIZON_DAYS as i64);
            let end_dates = User::end_dates_between(conn, acct.id, today, horizon)?;
            let spans = LedgerRow::spans(conn, acct.id)?;
            let short_from = match acct.licenses_until {
                // No change coming: short from today or never.
                None => (counted_today > acct.licenses).then_some(today),
                Some(_) => LedgerRow::first_short(conn, acct.id, &spans, today)?.map(|s| s.day),
            };
            Ok(ReportData {
                licenses,
                count,
                users,
                units,
                history,
                counted_today,
                end_dates,
                spans,
                short_from,
            })
        })
        .await?;
    let forecast = report::forecast(today, data.counted_today, &data.end_dates);
    let history: Vec<(NaiveDate, i64, i64)> = data
        .history
        .iter()
        .map(|s| (s.day, s.active_users, s.licenses))
        .collect();
    let coming: Vec<(NaiveDate, i64)> = ledger::coming(&data.spans, today)
        .into_iter()
        .map(|(day, _, after)| (day, after))
        .collect();
    let chart = report::chart(today, &history, account.licenses, &coming, &forecast);
    let total = data.count.unwrap_or(0);
    let no_record = past && data.count.is_none();
    let (units, units_total, units_pager) = unit_view.rows(&who, on, data.units);
    let page_view = ReportPage {
        units,
        units_total,
        units_pager,
        units_sort: match unit_view.order {
            UnitOrder::Count => "count",
            UnitOrder::Name => "name",
        },
        unit_q: unit_view.find.clone(),
        c: Chrome::signed_in(&who, "reports", "/account/reports/active-users"),
        on: on.to_string(),
        count: data.count,
        from_snapshot: past
            && data.count.is_some()
            && data.users.is_empty()
            && data.count != Some(0),
        no_record,
        rows: data
            .users
            .iter()
            .map(|u| UserLine::of(u, &who, on))
            .collect(),
        // A past day has no rows, so the list and its links are not shown.
        pager: Pager::of_users(who.lang, page, total, |p| report_url(on, p)),
        chart,
        today: today.to_string(),
        chart_start: (today - chrono::Duration::days(HORIZON_DAYS as i64)).to_string(),
        chart_end: (today + chrono::Duration::days(HORIZON_DAYS as i64)).to_string(),
        frees: report::frees_up(&data.end_dates)
            .into_iter()
            .map(|(d, n)| who.lang.frees_up_on(d, n))
            .collect(),
        licenses: data.licenses,
        short_from: data
            .short_from
            .map(|d| (d.to_string(), who.lang.long_date(d))),
    };
    if no_record {
        render(StatusCode::UNPROCESSABLE_ENTITY, &page_view)
    } else {
        ok(&page_view)
    }
}

/// `GET /account/reports/active-users.csv?on=`: every counted user of the
/// day, streamed a chunk at a time (RFC 4180, UTF-8 with a BOM).
pub async fn active_users_csv(
    who: Customer,
    state: web::Data<AppState>,
    q: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let account = who.account().clone();
    let today = account.today(state.clock.now());
    let on = day_of(q.on.as_deref(), today)?;
    let acct = account.clone();
    let report = state
        .db(move |conn| Ok(DayReport::of(conn, &acct, on, today)?))
        .await?;
    if !report.lists_users() {
        // Before any recorded history only the count is kept: no list.
        let t = who.lang.msgs();
        let page = MessagePage {
            c: Chrome::signed_in(&who, "reports", "/account/reports/active-users"),
            title: t.report_title,
            message: t.report_no_list,
            link: format!("/account/reports/active-users?on={on}"),
            link_text: t.report_title,
        };
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let state = state.into_inner();
    struct Cursor {
        after: Option<String>,
        started: bool,
        done: bool,
        rows: usize,
    }
    let stream = futures_util::stream::unfold(
        Cursor {
            after: None,
            started: false,
            done: false,
            rows: 0,
        },
        move |mut cur| {
            let state = state.clone();
            async move {
                if cur.done {
                    return None;
                }
                let mut out = Vec::new();
                if !cur.started {
                    cur.started = true;
                    out.extend_from_slice(b"\xEF\xBB\xBF");
                    out.extend_from_slice(COLUMNS.join(",").as_bytes());
                    out.extend_from_slice(b",");
                    out.extend_from_slice(UNIT_COLUMN.as_bytes());
                    out.extend_from_slice(b"\r\n");
                }
                let after = cur.after.clone();
                let rows = state
                    .db(move |conn| Ok(report.chunk_after(conn, after.as_deref(), CSV_CHUNK)?))
                    .await;
                let rows = match rows {
                    Ok(rows) => rows,
                    Err(e) => {
                        tracing::error!(error = %e, "CSV stream stopped");
                        return Some((
                            Err(actix_web::error::ErrorServiceUnavailable("database")),
                            cur,
                        ));
                    }
                };
                let (fetched, last, rows) = rows;
                cur.after = last;
                cur.rows += rows.len();
                if let Err(e) = write_rows(&mut out, &rows) {
                    tracing::error!(error = %e, "CSV encoding failed");
                    return Some((Err(actix_web::error::ErrorInternalServerError("csv")), cur));
                }
                if fetched < CSV_CHUNK {
                    cur.done = true;
                    tracing::info!(rows = cur.rows, %on, "CSV sent");
                }
                Some((Ok::<Bytes, actix_web::Error>(Bytes::from(out)), cur))
            }
        },
    );
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"active-users-{on}.csv\""),
        ))
        .streaming(stream))
}

fn write_rows(out: &mut Vec<u8>, rows: &[User]) -> Result<(), csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::with_capacity(rows.len() * 64));
    for u in rows {
        let start = u.start_date.to_string();
        let end = u.end_date.map(|d| d.to_string()).unwrap_or_default();
        w.write_record([
            report::csv_safe(&u.employee_number).as_ref(),
            report::csv_safe(&u.name).as_ref(),
            u.status.as_str(),
            start.as_str(),
            end.as_str(),
            report::csv_safe(u.unit.as_deref().unwrap_or("")).as_ref(),
        ])?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))?;
    out.extend_from_slice(&bytes);
    Ok(())
}
