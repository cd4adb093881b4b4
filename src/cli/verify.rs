//! `license-portal verify` (SPEC 10): a read-only check that the database
//! agrees with itself. It prints each disagreement and exits 1 if there is
//! one, else 0:
//! - the engine's own integrity check (SQLite's `PRAGMA integrity_check`);
//! - `user_counts` against a recount of `users`;
//! - every account's licenses against its audit trail (the licenses at
//!   creation, plus approved orders, plus adjustments);
//! - one snapshot per account and day.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::db::schema::{accounts, active_user_snapshots, audit_events, user_counts, users};
use crate::db::{DatabaseUrl, DbConnection};

#[derive(QueryableByName)]
struct Integrity {
    #[diesel(sql_type = Text)]
    integrity_check: String,
}

/// Every disagreement found, as a sentence.
pub fn disagreements(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
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

    // Licenses against the audit trail.
    let owned: Vec<(i64, i64)> = accounts::table
        .select((accounts::id, accounts::licenses))
        .order(accounts::id)
        .load(conn)?;
    let events: Vec<(Option<i64>, String, String)> = audit_events::table
        .filter(audit_events::kind.eq_any([
            "account_created",
            "order_approved",
            "licenses_adjusted",
        ]))
        .order(audit_events::id)
        .select((
            audit_events::account_id,
            audit_events::kind,
            audit_events::details,
        ))
        .load(conn)?;
    let mut trail: BTreeMap<i64, (bool, i64)> = BTreeMap::new();
    for (account, kind, details) in events {
        let Some(account) = account else { continue };
        let json: serde_json::Value = serde_json::from_str(&details).unwrap_or_default();
        let number = |field: &str| json.get(field).and_then(serde_json::Value::as_i64);
        let entry = trail.entry(account).or_insert((false, 0));
        match kind.as_str() {
            "account_created" => {
                entry.0 = true;
                entry.1 += number("licenses").unwrap_or(0);
            }
            "order_approved" => entry.1 += number("quantity").unwrap_or(0),
            _ => entry.1 += number("change").unwrap_or(0),
        }
    }
    for (account, licenses) in owned {
        match trail.get(&account) {
            None | Some((false, _)) => found.push(format!(
                "account {account}: owns {licenses} licenses but its audit trail has no account_created event"
            )),
            Some((true, sum)) if *sum != licenses => found.push(format!(
                "account {account}: owns {licenses} licenses, its audit trail adds up to {sum}"
            )),
            _ => {}
        }
    }

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
