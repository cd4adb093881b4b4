//! The counting rule has one SQL form in each of its two shapes
//! (`models::counted`: over user rows, over the per-end-date sums); this
//! holds every query that counts, and the session's shared statement, to
//! the Rust rule (`domain::counting::is_counted`) on every day of a range,
//! for generated users (a property test), on either backend.

use chrono::{Days, NaiveDate};
use license_portal::domain::counting::{is_counted, UserStatus};
use license_portal::models::session::{NewSessionRow, SessionRow};
use license_portal::models::user::{NewUser, UserFilter};
use license_portal::models::User;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::helpers::{create_contact, spawn_app, with_conn};

/// A generated user: active or passive, its start as days from the middle
/// of the range, and its end as days after its start (the schema refuses
/// an end before the start).
type Generated = (bool, i64, Option<i64>);

fn end_of(start: i64, length: Option<i64>) -> Option<i64> {
    length.map(|l| start + l)
}

fn day(mid: NaiveDate, offset: i64) -> NaiveDate {
    if offset >= 0 {
        mid + Days::new(offset as u64)
    } else {
        mid - Days::new(offset.unsigned_abs())
    }
}

#[tokio::test]
async fn every_sql_form_of_the_counting_rule_agrees_with_the_rule_on_every_day() {
    let app = spawn_app().await;
    let mid = NaiveDate::from_ymd_opt(2026, 12, 1).expect("day");
    let strategy = prop::collection::vec(
        (any::<bool>(), -30i64..30, prop::option::of(0i64..40)),
        0..25,
    );
    let mut runner = TestRunner::new(Config {
        cases: 12,
        failure_persistence: None,
        ..Config::default()
    });
    let case = std::cell::Cell::new(0);
    runner
        .run(&strategy, |users: Vec<Generated>| {
            case.set(case.get() + 1);
            let case = case.get();
            let account = app.create_account(&format!("Counting {case}"), 10);
            let contact =
                create_contact(&app, &format!("count{case}@counting.example"), account.id);
            let numbers: Vec<String> = (0..users.len()).map(|i| format!("E{i:04}")).collect();
            with_conn(&app, |c| {
                for ((active, start, end), number) in users.iter().zip(&numbers) {
                    User::insert(
                        c,
                        &NewUser {
                            account_id: account.id,
                            employee_number: number,
                            name: number,
                            status: if *active {
                                UserStatus::Active
                            } else {
                                UserStatus::Passive
                            },
                            start_date: day(mid, *start),
                            end_date: end_of(*start, *end).map(|e| day(mid, e)),
                            unit: None,
                        },
                    )
                    .expect("user");
                }
                let key = license_portal::auth::random_token();
                let id = license_portal::auth::session::row_id(&key);
                let now = license_portal::models::now_utc();
                SessionRow::insert(
                    c,
                    &NewSessionRow {
                        id: &id,
                        login_id: Some(contact.id),
                        state: "{}",
                        user_agent: "",
                        created_at: now,
                        last_seen_at: now,
                    },
                )
                .expect("session");
                for offset in -35i64..=35 {
                    let d = day(mid, offset);
                    let rule = users
                        .iter()
                        .filter(|(active, start, end)| {
                            let status = if *active {
                                UserStatus::Active
                            } else {
                                UserStatus::Passive
                            };
                            let end = end_of(*start, *end).map(|e| day(mid, e));
                            is_counted(status, day(mid, *start), end, d)
                        })
                        .count() as i64;
                    let sums = User::count_counted(c, account.id, d).expect("sums");
                    let (_, rows) = User::page(
                        c,
                        account.id,
                        &license_portal::models::user::UserSearch::only(UserFilter::Counted),
                        d,
                        0,
                        1000,
                    )
                    .expect("rows");
                    let listed = User::counted_on(c, account.id, d).expect("list").len() as i64;
                    let session = SessionRow::find_signed_in(c, std::slice::from_ref(&id), d)
                        .expect("session statement")
                        .remove(&id)
                        .map(|r| r.counted_on_day)
                        .expect("the session row");
                    let lone = SessionRow::find_one_signed_in(c, &id, d, true)
                        .expect("the lone statement")
                        .map(|(r, _)| r.counted_on_day)
                        .expect("the session row");
                    prop_assert_eq!(sums, rule, "user_counts sums on {}", d);
                    prop_assert_eq!(lone, rule, "the lone session statement on {}", d);
                    prop_assert_eq!(rows, rule, "the Counted filter on {}", d);
                    prop_assert_eq!(listed, rule, "the counted list on {}", d);
                    prop_assert_eq!(session, rule, "the session statement on {}", d);
                }
                Ok(())
            })
        })
        .expect("every form agrees with the rule");
}
