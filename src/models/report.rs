//! The active-user report of one day (SPEC 4.2, 11), in one place: the
//! page, its CSV and the API all ask [`DayReport::of`] where a day's answer
//! comes from, and read its users through it.
//!
//! - today (or a later day): the users as they are, under the rule for
//!   that day;
//! - a day before today with recorded history: the users as they stood at
//!   the end of that day in the account's time zone;
//! - a day before any history: only the count its snapshot recorded;
//! - a day with neither: no record (the page and the API answer 422).

use chrono::{NaiveDate, NaiveDateTime};
use diesel::QueryResult;

use crate::db::DbConnection;
use crate::domain::counting::end_of_day;
use crate::domain::report::{count_by_unit, UnitLine};
use crate::models::snapshot::Snapshot;
use crate::models::user::{UserFilter, UserSearch};
use crate::models::user_version::UserVersion;
use crate::models::{Account, User};

/// Where a day's report comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Today or later: the users as they are.
    Live,
    /// A past day within the recorded history.
    History,
    /// A past day before any history, with its snapshot's count.
    Snapshot { active_users: i64 },
    /// A past day before any history and without a snapshot.
    NoRecord,
}

/// One day's report of one account.
#[derive(Clone, Copy, Debug)]
pub struct DayReport {
    pub account_id: i64,
    pub day: NaiveDate,
    /// The end of `day` in the account's time zone, in UTC.
    pub end: NaiveDateTime,
    pub source: Source,
    /// The licenses owned that day: the ledger's figure for it (a day
    /// before the ledger, its snapshot's; today, the account's).
    pub licenses: i64,
}

impl DayReport {
    /// The report of `day` for `account`, whose today is `today`.
    pub fn of(
        conn: &mut DbConnection,
        account: &Account,
        day: NaiveDate,
        today: NaiveDate,
    ) -> QueryResult<DayReport> {
        let end = end_of_day(account.tz(), day).naive_utc();
        let mut report = DayReport {
            account_id: account.id,
            day,
            end,
            source: Source::Live,
            licenses: account.licenses,
        };
        // Another day's licenses are the ledger's for it (SPEC 12); a day
        // before the ledger's first row, its snapshot's.
        let ledger = match day == today {
            true => None,
            false => super::ledger::LedgerRow::owned_on(conn, account.id, day)?,
        };
        if let Some(owned) = ledger {
            report.licenses = owned;
        }
        if day >= today {
            return Ok(report);
        }
        let snapshot = Snapshot::find(conn, account.id, day)?;
        if let (Some(s), None) = (&snapshot, ledger) {
            report.licenses = s.licenses;
        }
        report.source = if UserVersion::covers(conn, account.id, end)? {
            Source::History
        } else {
            match snapshot {
                Some(s) => Source::Snapshot {
                    active_users: s.active_users,
                },
                None => Source::NoRecord,
            }
        };
        Ok(report)
    }

    /// Whether the report lists its users (today, or a day with history).
    pub fn lists_users(&self) -> bool {
        matches!(self.source, Source::Live | Source::History)
    }

    /// The counted users of the day, by employee number, as the API and
    /// the CSV list them (none where the report has no list).
    pub fn counted(&self, conn: &mut DbConnection) -> QueryResult<Vec<User>> {
        match self.source {
            Source::Live => User::counted_on(conn, self.account_id, self.day),
            Source::History => {
                let mut users =
                    UserVersion::counted_at_end_of(conn, self.account_id, self.day, self.end)?
                        .unwrap_or_default();
                users.sort_by(|a, b| a.employee_number.cmp(&b.employee_number));
                Ok(users)
            }
            Source::Snapshot { .. } | Source::NoRecord => Ok(Vec::new()),
        }
    }

    /// One page of the counted users, by name as the page lists them, how
    /// many there are in all (the count alone where there is no list,
    /// `None` without a record), and the users counted in each unit:
    /// today from the sums the triggers keep, a past day from the versions
    /// valid at its end (the units as they stood then), read once for both.
    pub fn page_and_units(
        &self,
        conn: &mut DbConnection,
        offset: i64,
        size: i64,
    ) -> QueryResult<(Vec<User>, Option<i64>, Vec<UnitLine>)> {
        match self.source {
            Source::Live => {
                let (users, total) = User::page(
                    conn,
                    self.account_id,
                    &UserSearch::only(UserFilter::Counted),
                    self.day,
                    offset,
                    size,
                )?;
                let units = User::counted_by_unit(conn, self.account_id, self.day)?;
                Ok((users, Some(total), units))
            }
            Source::History => {
                // By name, as today's page lists them (the API's list is by
                // employee number: `counted`).
                let all =
                    UserVersion::counted_at_end_of(conn, self.account_id, self.day, self.end)?
                        .unwrap_or_default();
                let units = count_by_unit(all.iter().map(|u| u.unit.as_deref()));
                let total = all.len() as i64;
                let rows = all
                    .into_iter()
                    .skip(usize::try_from(offset).unwrap_or(0))
                    .take(usize::try_from(size).unwrap_or(0))
                    .collect();
                Ok((rows, Some(total), units))
            }
            Source::Snapshot { active_users } => Ok((Vec::new(), Some(active_users), Vec::new())),
            Source::NoRecord => Ok((Vec::new(), None, Vec::new())),
        }
    }

    /// The counted users after employee number `after`, at most `limit`
    /// looked at (the CSV's chunks): how many were looked at, the last
    /// employee number looked at, and the counted ones among them.
    pub fn chunk_after(
        &self,
        conn: &mut DbConnection,
        after: Option<&str>,
        limit: i64,
    ) -> QueryResult<(i64, Option<String>, Vec<User>)> {
        match self.source {
            Source::Live => {
                let rows = User::counted_after(conn, self.account_id, self.day, after, limit)?;
                let last = rows.last().map(|u| u.employee_number.clone());
                Ok((rows.len() as i64, last, rows))
            }
            Source::History => {
                // The versions valid at the day's end, under that day's
                // rule; the cursor moves past the uncounted too.
                let versions =
                    UserVersion::valid_before_after(conn, self.account_id, self.end, after, limit)?;
                let last = versions.last().map(|v| v.employee_number.clone());
                let rows = versions
                    .iter()
                    .filter(|v| v.reason(self.day).is_counted())
                    .map(UserVersion::as_user)
                    .collect();
                Ok((versions.len() as i64, last, rows))
            }
            Source::Snapshot { .. } | Source::NoRecord => Ok((0, None, Vec::new())),
        }
    }
}
