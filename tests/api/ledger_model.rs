//! The ledger against a model (SPEC 12, a property test): for random
//! sequences of staff adjustments, dated orders, reductions, approvals
//! and days passing, the licenses owned on every day are the sum of the
//! rows covering it, never below 0 from today on, `accounts.licenses` is
//! today's figure, and `verify` finds nothing wrong with the account.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use license_portal::domain::ledger::Period;
use license_portal::domain::orders::{Clash, OrderKind};
use license_portal::mail::MailContext;
use license_portal::models::ledger::LedgerRow;
use license_portal::models::{Account, Login};
use license_portal::ops::{self, OpError, OrderInput};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::helpers::{create_contact, spawn_app, TestApp, UserState};

/// Users counted on every day (active, no end date).
const COUNTED: i64 = 5;

#[derive(Clone, Debug)]
enum Step {
    /// A staff adjustment: change, first day (days from today), length.
    Adjust(i64, i64, Option<i64>),
    /// An order that adds: quantity, first day, length (placed pending).
    Add(i64, Option<i64>, Option<i64>),
    /// A reduction: quantity, first day (days from today, at least 1).
    Reduce(i64, i64),
    /// Staff approve the oldest pending order.
    Approve,
    /// Days pass.
    Advance(i64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (-15i64..25, 0i64..40, prop::option::of(0i64..40))
            .prop_filter("never 0", |(c, _, _)| *c != 0)
            .prop_map(|(c, s, l)| Step::Adjust(c, s, l)),
        (
            1i64..20,
            prop::option::of(0i64..40),
            prop::option::of(0i64..40)
        )
            .prop_map(|(q, s, l)| Step::Add(q, s, l)),
        (1i64..10, 1i64..30).prop_map(|(q, s)| Step::Reduce(q, s)),
        Just(Step::Approve),
        (0i64..15).prop_map(Step::Advance),
    ]
}

/// The model: rows as (change, first day, last day).
#[derive(Default)]
struct Model {
    rows: Vec<(i64, NaiveDate, Option<NaiveDate>)>,
}

impl Model {
    fn owned(&self, day: NaiveDate) -> i64 {
        self.rows
            .iter()
            .filter(|(_, from, until)| *from <= day && until.is_none_or(|u| u >= day))
            .map(|(c, _, _)| c)
            .sum()
    }

    /// The lowest figure from `from` over the next 200 days, by brute force.
    fn lowest_from(&self, from: NaiveDate) -> i64 {
        (0..200)
            .map(|i| self.owned(from + Duration::days(i)))
            .min()
            .unwrap_or(0)
    }

    fn with(&self, row: (i64, NaiveDate, Option<NaiveDate>)) -> Model {
        let mut rows = self.rows.clone();
        rows.push(row);
        Model { rows }
    }
}

struct Pending {
    id: i64,
    kind: OrderKind,
    quantity: i64,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
}

#[tokio::test]
async fn licenses_owned_on_every_day_are_the_models_sum_and_verify_agrees() {
    let app = spawn_app().await;
    let staff = app.create_login("staff@model.example", "staff", None);
    let start: DateTime<Utc> = Utc
        .with_ymd_and_hms(2027, 3, 1, 12, 0, 0)
        .single()
        .expect("t");
    let mut runner = TestRunner::new(Config {
        cases: 16,
        failure_persistence: None,
        ..Config::default()
    });
    let case = std::cell::Cell::new(0);
    runner
        .run(&prop::collection::vec(step(), 1..25), |steps| {
            case.set(case.get() + 1);
            run_case(&app, &staff, start, case.get(), &steps);
            Ok(())
        })
        .expect("the ledger agrees with its model");
}

fn run_case(app: &TestApp, staff: &Login, start: DateTime<Utc>, case: i32, steps: &[Step]) {
    let mut now = start;
    let ctx = |now: DateTime<Utc>| MailContext {
        now,
        ..app.mail_ctx()
    };
    let input = ops::AccountInput::parse(&format!("Model {case}"), "10", "Europe/Stockholm")
        .expect("input");
    let account = ops::create_account(&mut app.conn(), None, &input, now).expect("account");
    let first_day = account.today(now);
    let contact = create_contact(app, &format!("c{case}@model.example"), account.id);
    for i in 0..COUNTED {
        app.accounts_user(account.id, &format!("U{i}"), UserState::Counted);
    }
    let mut model = Model {
        rows: vec![(10, first_day, None)],
    };
    let mut pending: Vec<Pending> = Vec::new();
    for (n, step) in steps.iter().enumerate() {
        let today = account.today(now);
        let conn = &mut app.conn();
        match *step {
            Step::Adjust(change, from, len) => {
                let from = today + Duration::days(from);
                let until = len.map(|l| from + Duration::days(l));
                let next = model.with((change, from, until));
                let outcome = ops::adjust_licenses(
                    conn,
                    &ctx(now),
                    Some(staff.id),
                    account.id,
                    change,
                    Period {
                        starts_on: Some(from),
                        ends_on: until,
                    },
                    "model",
                );
                if next.lowest_from(today) < 0 {
                    assert!(
                        matches!(outcome, Err(OpError::LicenseBounds)),
                        "{step:?}: {outcome:?}"
                    );
                } else {
                    outcome.expect("an adjustment within bounds");
                    model = next;
                }
            }
            Step::Add(quantity, from, len) => {
                let starts_on = from.map(|f| today + Duration::days(f));
                let ends_on = len.map(|l| starts_on.unwrap_or(today) + Duration::days(l));
                let order = place(
                    app,
                    &contact,
                    &ctx(now),
                    account.id,
                    n,
                    OrderKind::Add,
                    quantity,
                    starts_on,
                    ends_on,
                )
                .expect("an addition is placed");
                pending.push(order);
            }
            Step::Reduce(quantity, from) => {
                let from = today + Duration::days(from);
                let short = model.with((-quantity, from, None)).lowest_short(from);
                match place(
                    app,
                    &contact,
                    &ctx(now),
                    account.id,
                    n,
                    OrderKind::Reduce,
                    quantity,
                    Some(from),
                    None,
                ) {
                    Ok(order) => {
                        assert!(!short, "{step:?} was placed though it leaves too few");
                        pending.push(order);
                    }
                    Err(OpError::TooFew(_)) => assert!(short, "{step:?} refused though it fits"),
                    Err(e) => panic!("{step:?}: {e:?}"),
                }
            }
            Step::Approve => {
                if pending.is_empty() {
                    continue;
                }
                let order = pending.remove(0);
                let from = order.starts_on.map_or(today, |d| d.max(today));
                let change = order.kind.change(order.quantity);
                let next = model.with((change, from, order.ends_on));
                let outcome =
                    ops::approve_order(conn, &ctx(now), ops::Decider::staff(staff), order.id, None);
                if order.ends_on.is_some_and(|end| end < from) {
                    assert!(
                        matches!(outcome, Err(OpError::Clash(Clash::PeriodPassed))),
                        "{outcome:?}"
                    );
                } else if order.kind == OrderKind::Reduce && next.lowest_short(from) {
                    assert!(
                        matches!(outcome, Err(OpError::Clash(Clash::Short(_)))),
                        "{outcome:?}"
                    );
                } else if next.lowest_from(today) < 0 {
                    assert!(
                        matches!(outcome, Err(OpError::LicenseBounds)),
                        "{outcome:?}"
                    );
                } else {
                    outcome.expect("an approval within bounds");
                    model = next;
                }
            }
            Step::Advance(days) => {
                now += Duration::days(days);
                ops::roll_days(conn, &ctx(now)).expect("the day's figure");
            }
        }
        check(
            app,
            &account,
            &model,
            first_day,
            account.today(now),
            now,
            step,
        );
    }
}

impl Model {
    /// Whether any day from `from` owns fewer than the users counted.
    fn lowest_short(&self, from: NaiveDate) -> bool {
        self.lowest_from(from) < COUNTED
    }
}

#[allow(clippy::too_many_arguments)]
fn place(
    app: &TestApp,
    contact: &Login,
    ctx: &MailContext,
    account: i64,
    n: usize,
    kind: OrderKind,
    quantity: i64,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
) -> Result<Pending, OpError> {
    let order = ops::place_order(
        &mut app.conn(),
        ctx,
        contact,
        account,
        &OrderInput {
            kind,
            quantity,
            period: Period { starts_on, ends_on },
            reference: None,
        },
        &format!("model-{account}-{n}"),
    )?;
    Ok(Pending {
        id: order.id,
        kind,
        quantity,
        starts_on,
        ends_on,
    })
}

fn check(
    app: &TestApp,
    account: &Account,
    model: &Model,
    first_day: NaiveDate,
    today: NaiveDate,
    now: DateTime<Utc>,
    step: &Step,
) {
    let conn = &mut app.conn();
    for offset in -3..120 {
        let day = today + Duration::days(offset);
        let expected = (day >= first_day).then(|| model.owned(day));
        let owned = LedgerRow::owned_on(conn, account.id, day).expect("owned on");
        assert_eq!(owned, expected, "after {step:?}, on {day}");
    }
    assert!(
        model.lowest_from(today) >= 0,
        "after {step:?}: a day below 0"
    );
    let stored = Account::find(conn, account.id)
        .expect("q")
        .expect("account");
    let shown = stored.licenses_today(conn, today).expect("today");
    assert_eq!(shown, model.owned(today), "after {step:?}: today's figure");
    let mine = format!("account {}:", account.id);
    let found: Vec<String> = license_portal::cli::verify::disagreements_at(conn, now)
        .expect("verify")
        .into_iter()
        .filter(|line| line.contains(&mine))
        .collect();
    assert!(found.is_empty(), "after {step:?}: {found:?}");
}
