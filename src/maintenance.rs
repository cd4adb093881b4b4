//! Work the server does by itself: record today's active-user snapshot of
//! every account (at start, then whenever a day turns in an account's time
//! zone), delete expired sessions and forget old API idempotency keys.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::auth::session;
use crate::config::Timeouts;
use crate::db::{DbConnection, Pool};
use crate::mail::worker::Wake;
use crate::mail::{notify, MailContext, MailError};
use crate::models::idempotency_key::IdempotencyKey;
use crate::models::snapshot::Snapshot;
use crate::models::user_version::UserVersion;
use crate::models::{Account, User};
use crate::state::Clock;

/// How often the maintenance thread wakes: often enough that a day
/// turning in any time zone reaches `accounts.licenses` within a minute.
const INTERVAL: Duration = Duration::from_secs(30);
/// Every how many wakings the slower work runs (about five minutes).
const SLOW_EVERY: u32 = 10;

/// Start the maintenance thread; it runs until the process ends. Every
/// 30 seconds it writes the licenses of accounts whose ledger changed
/// with a day turning (SPEC 12); every five minutes it also checks every
/// account against its licenses, since a day turning makes end dates pass
/// (the over-licenses mail of SPEC 7).
pub fn start(pool: Pool, timeouts: Timeouts, clock: Clock, mail: MailContext, wake: Wake) {
    let spawned = std::thread::Builder::new()
        .name("maintenance".into())
        .spawn(move || {
            let mut round: u32 = 0;
            loop {
                round = round.wrapping_add(1);
                match pool.get() {
                    Ok(mut conn) => {
                        let ctx = MailContext {
                            now: clock.now(),
                            ..mail.clone()
                        };
                        match crate::ops::roll_days(&mut conn, &ctx) {
                            Ok(0) => {}
                            Ok(n) => {
                                tracing::info!(accounts = n, "licenses of the new day written");
                                wake.wake();
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "writing the day's licenses failed")
                            }
                        }
                        if round % SLOW_EVERY == 1 {
                            slow_round(&mut conn, &ctx, timeouts, &wake);
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "maintenance: database unavailable"),
                }
                std::thread::sleep(INTERVAL);
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the maintenance thread");
    }
}

/// Snapshots, the over-licenses check, expired sessions and old keys.
fn slow_round(conn: &mut DbConnection, ctx: &MailContext, timeouts: Timeouts, wake: &Wake) {
    if let Err(e) = record_snapshots(conn, ctx.now) {
        tracing::warn!(error = %e, "recording snapshots failed");
    }
    match check_licenses(conn, ctx) {
        Ok(()) => wake.wake(),
        Err(e) => tracing::warn!(error = %e, "checking licenses failed"),
    }
    match session::delete_expired(conn, timeouts) {
        Ok(n) if n > 0 => tracing::info!(deleted = n, "expired sessions deleted"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "deleting expired sessions failed"),
    }
    let keep = chrono::Duration::hours(crate::models::idempotency_key::KEEP_HOURS);
    if let Err(e) = IdempotencyKey::purge(conn, ctx.now.naive_utc() - keep) {
        tracing::warn!(error = %e, "forgetting old idempotency keys failed");
    }
}

/// Tell the contacts of every account that has come to exceed its
/// licenses (once per crossing; see `mail::notify::over_licenses`), the
/// warnings before it (SPEC 14, `mail::notify::warnings`), a renewal
/// within 60 days (SPEC 15, once per renewal day), and temporary licenses
/// ending within 14 days (once per ledger row).
pub fn check_licenses(conn: &mut DbConnection, ctx: &MailContext) -> Result<(), MailError> {
    for account in Account::all(conn)? {
        crate::db::write_transaction(conn, |conn| {
            notify::figures_changed(conn, ctx, account.id)?;
            notify::renewal_coming(conn, ctx, account.id)?;
            notify::licenses_ending(conn, ctx, account.id)
        })?;
    }
    Ok(())
}

/// Record today's figures for one account unless that day has a row. The
/// first recording of a day also rewrites the latest recorded day before
/// it (the day before, or an older one when the portal did not run in
/// between) with its end-of-day count from the users' history (SPEC 11).
/// Each day's row is so rewritten once it has ended, and every finished
/// day's snapshot agrees with its report.
pub fn record_snapshot(
    conn: &mut DbConnection,
    account: &Account,
    now: DateTime<Utc>,
) -> diesel::QueryResult<bool> {
    let day = account.today(now);
    if Snapshot::find(conn, account.id, day)?.is_some() {
        return Ok(false);
    }
    let active_users = User::count_counted(conn, account.id, day)?;
    let licenses = account.licenses_today(conn, day)?;
    let written = Snapshot::record(
        conn,
        &Snapshot {
            account_id: account.id,
            day,
            active_users,
            licenses,
        },
    )?;
    if written {
        if let Some(ended) = Snapshot::latest_before(conn, account.id, day)? {
            let end = crate::domain::counting::end_of_day(account.tz(), ended).naive_utc();
            if let Some(counted) = UserVersion::counted_at_end_of(conn, account.id, ended, end)? {
                Snapshot::set_count(conn, account.id, ended, counted.len() as i64)?;
            }
        }
    }
    Ok(written)
}

/// Record today's snapshot of every account that lacks one; how many were written.
pub fn record_snapshots(conn: &mut DbConnection, now: DateTime<Utc>) -> diesel::QueryResult<usize> {
    let mut written = 0;
    for account in Account::all(conn)? {
        if record_snapshot(conn, &account, now)? {
            written += 1;
        }
    }
    Ok(written)
}
