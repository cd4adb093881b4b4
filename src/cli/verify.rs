//! `license-portal verify` (SPEC 10): a read-only check that the database
//! agrees with itself. It prints each disagreement and exits 1 if there is
//! one, else 0:
//! - the engine's own integrity check (SQLite's `PRAGMA integrity_check`);
//! - `user_counts` and `unit_counts` against a recount of `users`;
//! - every account's licenses against its audit trail (the licenses at
//!   creation, plus approved orders, plus adjustments);
//! - one snapshot per account and day.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::schema::{active_user_snapshots, audit_events, user_counts, users};
use crate::db::{DatabaseUrl, DbConnection};

#[derive(QueryableByName)]
struct Integrity {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// `unit_counts` against a recount of the active users by account, unit
/// ('' for none) and end date.
fn unit_count_disagreements(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    use crate::db::schema::unit_counts;
    type Key = (i64, String, chrono::NaiveDate);
    let far = crate::models::counted::NO_END;
    let mut kept: BTreeMap<Key, i64> = BTreeMap::new();
    for (account, unit, end, n) in unit_counts::table
        .select((
            unit_counts::account_id,
            unit_counts::unit,
            unit_counts::end_date,
            unit_counts::active_users,
        ))
        .load::<(i64, String, chrono::NaiveDate, i32)>(conn)?
    {
        kept.insert((account, unit, end), i64::from(n));
    }
    let mut recount: BTreeMap<Key, i64> = BTreeMap::new();
    for (account, unit, end) in users::table
        .filter(crate::models::counted::user_active())
        .select((users::account_id, users::unit, users::end_date))
        .load::<(i64, Option<String>, Option<chrono::NaiveDate>)>(conn)?
    {
        *recount
            .entry((account, unit.unwrap_or_default(), end.unwrap_or(far)))
            .or_default() += 1;
    }
    let keys: std::collections::BTreeSet<&Key> = recount.keys().chain(kept.keys()).collect();
    Ok(keys
        .into_iter()
        .filter_map(|key| {
            let a = kept.get(key).copied().unwrap_or(0);
            let b = recount.get(key).copied().unwrap_or(0);
            (a != b).then(|| {
                format!(
                    "unit_counts: account {} unit {:?} end date {} says {a} active users, the users table has {b}",
                    key.0, key.1, key.2
                )
            })
        })
        .collect())
}

/// Every disagreement found, as a sentence.
pub fn disagreements(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    disagreements_at(conn, chrono::Utc::now())
}

/// Every disagreement found, with "today" the accounts' days at `now`.
pub fn disagreements_at(
    conn: &mut DbConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<String>> {
    let mut found = Vec::new();
    if let DbConnection::Sqlite(c) = conn {
        let rows: Vec<Integrity> = diesel::sql_query("PRAGMA integrity_check").load(c)?;
        for row in rows.into_iter().filter(|r| r.integrity_check != "ok") {
            found.push(format!("SQLite integrity check: {}", row.integrity_check));
        }
    }

    // user_counts against a recount of users.
    let kept: Vec<(i64, chrono::NaiveDate, i32)> = user_counts::table
        .select((
            user_counts::account_id,
            user_counts::end_date,
            user_counts::active_users,
        ))
        .load(conn)?;
    let far = crate::models::counted::NO_END;
    let active: Vec<(i64, Option<chrono::NaiveDate>)> = users::table
        .filter(crate::models::counted::user_active())
        .select((users::account_id, users::end_date))
        .load(conn)?;
    let mut recount: BTreeMap<(i64, chrono::NaiveDate), i64> = BTreeMap::new();
    for (account, end) in active {
        *recount.entry((account, end.unwrap_or(far))).or_default() += 1;
    }
    let mut kept_map: BTreeMap<(i64, chrono::NaiveDate), i64> = BTreeMap::new();
    for (account, end, n) in kept {
        kept_map.insert((account, end), i64::from(n));
    }
    for key in recount
        .keys()
        .chain(kept_map.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let a = kept_map.get(key).copied().unwrap_or(0);
        let b = recount.get(key).copied().unwrap_or(0);
        if a != b {
            found.push(format!(
                "user_counts: account {} end date {} says {a} active users, the users table has {b}",
                key.0, key.1
            ));
        }
    }

    found.extend(unit_count_disagreements(conn)?);

    // Licenses against the ledger (SPEC 12): today's figure, and a row
    // for every approval and adjustment since the account's first row.
    found.extend(ledger_disagreements(conn, now)?);

    // One snapshot per account and day.
    let doubles: Vec<(i64, chrono::NaiveDate, i64)> = active_user_snapshots::table
        .group_by((
            active_user_snapshots::account_id,
            active_user_snapshots::day,
        ))
        .select((
            active_user_snapshots::account_id,
            active_user_snapshots::day,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    for (account, day, n) in doubles.into_iter().filter(|(_, _, n)| *n > 1) {
        found.push(format!(
            "snapshots: account {account} has {n} rows for {day}"
        ));
    }
    // The users' history against the users: one current version each,
    // equal to the row.
    for (id, number) in crate::models::user_version::UserVersion::disagreements(conn)? {
        found.push(format!(
            "user_versions: user {id} ({number}) has no current version equal to its row"
        ));
    }
    Ok(found)
}

pub fn run(url: &DatabaseUrl) -> anyhow::Result<bool> {
    // Read-only: no migration is applied (a database behind the binary's
    // migrations is a disagreement of its own).
    let mut conn = crate::db::connect(url)?;
    let found = disagreements(&mut conn)?;
    for line in &found {
        crate::cli::output::show(line);
    }
    if found.is_empty() {
        crate::cli::output::note("verify: the database agrees with itself");
    } else {
        crate::cli::output::note(format!("verify: {} disagreement(s)", found.len()));
    }
    Ok(found.is_empty())
}

/// Each account's licenses against its ledger for today (as every page
/// shows it: a figure a day turning changed counts as written), and a
/// ledger row for every approved order and adjustment made since the
/// account's first row.
fn ledger_disagreements(
    conn: &mut DbConnection,
    now: chrono::DateTime<chrono::Utc>,
) -> diesel::QueryResult<Vec<String>> {
    use crate::db::schema::{license_ledger, license_orders};
    use crate::domain::ledger::owned_on_recorded;
    use crate::models::ledger::LedgerRow;
    let mut found = Vec::new();
    for account in crate::models::Account::all(conn)? {
        let today = account.today(now);
        let spans = LedgerRow::spans(conn, account.id)?;
        let shown = account.licenses_today(conn, today)?;
        let Some(ledger) = owned_on_recorded(&spans, today) else {
            if shown != 0 && spans.is_empty() {
                found.push(format!(
                    "account {}: owns {shown} licenses but has no ledger row",
                    account.id
                ));
            }
            continue;
        };
        if ledger != shown {
            found.push(format!(
                "account {}: owns {shown} licenses, its ledger says {ledger} for {today}",
                account.id
            ));
        }
        let since: Option<chrono::NaiveDateTime> = license_ledger::table
            .filter(license_ledger::account_id.eq(account.id))
            .select(diesel::dsl::min(license_ledger::created_at))
            .first(conn)?;
        let Some(since) = since else { continue };
        let missing: Vec<i64> = license_orders::table
            .left_join(
                license_ledger::table
                    .on(license_ledger::order_id.eq(license_orders::id.nullable())),
            )
            .filter(license_orders::account_id.eq(account.id))
            .filter(license_orders::status.eq("approved"))
            .filter(license_orders::decided_at.ge(since))
            .filter(license_ledger::id.is_null())
            .select(license_orders::id)
            .load(conn)?;
        for order in missing {
            found.push(format!(
                "account {}: order {order} was approved but has no ledger row",
                account.id
            ));
        }
        let adjusted: i64 = audit_events::table
            .filter(audit_events::account_id.eq(account.id))
            .filter(audit_events::kind.eq("licenses_adjusted"))
            .filter(audit_events::at.ge(since))
            .count()
            .get_result(conn)?;
        let rows: i64 = license_ledger::table
            .filter(license_ledger::account_id.eq(account.id))
            .filter(license_ledger::kind.eq("adjustment"))
            .count()
            .get_result(conn)?;
        if adjusted != rows {
            found.push(format!(
                "account {}: {adjusted} adjustments in the audit trail, {rows} in the ledger",
                account.id
            ));
        }
    }
    Ok(found)
}
