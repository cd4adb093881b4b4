//! The demo dataset of `serve --demo`: two accounts, one over and one under
//! its licenses, users in every state of SPEC 1, a login of each role,
//! pending and decided orders, and some recorded history. Loaded once.

use chrono::{Days, NaiveDate};

use crate::db::DbConnection;
use crate::domain::counting::UserStatus;
use crate::mail::MailContext;
use crate::models::snapshot::Snapshot;
use crate::models::user::NewUser;
use crate::models::{Account, Login, User};
use crate::ops::{self, AccountInput, LoginInput};

/// The demo's units: three stores, and users without one.
const DEMO_UNITS: [Option<&str>; 4] = [
    Some("Store Göteborg"),
    Some("Store Malmö"),
    Some("Store Stockholm"),
    None,
];

/// The demo sign-ins: (role, email, password).
pub const SIGNINS: [(&str, &str, &str); 4] = [
    ("staff", "staff@demo.example", "blue-kettle-harbour"),
    ("contact", "contact@demo.example", "green-lantern-forest"),
    ("viewer", "viewer@demo.example", "quiet-river-meadow"),
    ("contact", "contact@fjord.example", "north-ferry-lighthouse"),
];

fn add_days(day: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        day.checked_add_days(Days::new(n as u64)).unwrap_or(day)
    } else {
        day.checked_sub_days(Days::new(n.unsigned_abs()))
            .unwrap_or(day)
    }
}

/// A new API token of scope `order` for the demo's first contact, made at
/// each start with `--demo` (a token is shown only once, when made); it
/// lasts 30 days, and the one printed at the start before is revoked.
pub fn api_token(conn: &mut DbConnection) -> anyhow::Result<String> {
    let contact = Login::find_by_email(conn, SIGNINS[1].1)?
        .ok_or_else(|| anyhow::anyhow!("the demo contact is missing"))?;
    // The one printed before stops working: one demo token lives at a time.
    let account = contact.account_id.unwrap_or(0);
    for earlier in crate::models::api_token::ApiToken::for_account(conn, account)? {
        if earlier.name == "demo" && earlier.revoked_at.is_none() {
            ops::revoke_api_token(conn, Some(contact.id), earlier.id, Some(account))?;
        }
    }
    let input =
        ops::TokenInput::parse("demo", "order", contact.account_id, "30", false).map_err(field)?;
    Ok(ops::create_api_token(conn, Some(contact.id), &input)?.1)
}

/// Load the dataset, all of it or none, unless its staff login exists;
/// returns the sign-ins.
pub fn load(
    conn: &mut DbConnection,
    ctx: &MailContext,
) -> anyhow::Result<Vec<(&'static str, &'static str, &'static str)>> {
    if Login::find_by_email(conn, SIGNINS[0].1)?.is_some() {
        return Ok(SIGNINS.to_vec());
    }
    crate::db::write_transaction(conn, |conn| fill(conn, ctx))?;
    Ok(SIGNINS.to_vec())
}

/// Everything of the demo, inside the caller's transaction. Its orders and
/// decisions write their mails, and one viewer is invited, so the mail
/// folder shows every kind a newcomer will meet.
fn fill(conn: &mut DbConnection, ctx: &MailContext) -> anyhow::Result<()> {
    let now = ctx.now;
    let staff = make_login(conn, SIGNINS[0], None, "Stina Support")?;
    // Staff sign in with a second step: the secret is printed at start.
    Login::set_two_step(conn, staff.id, Some(&crate::two_step::new_secret()), None)?;

    let nordic = ops::create_account(
        conn,
        Some(staff.id),
        &AccountInput::parse("Nordic Retail AB", "20", "Europe/Stockholm").map_err(field)?,
        ctx.now,
    )?;
    let fjord = ops::create_account(
        conn,
        Some(staff.id),
        &AccountInput::parse("Fjord Logistics AS", "50", "Europe/Oslo").map_err(field)?,
        ctx.now,
    )?;
    let contact = make_login(conn, SIGNINS[1], Some(nordic.id), "Karin Kontakt")?;
    make_login(conn, SIGNINS[2], Some(nordic.id), "Vera Viewer")?;
    let fjord_contact = make_login(conn, SIGNINS[3], Some(fjord.id), "Frode Fjord")?;

    let today = nordic.today(now);
    // Prices (SPEC 15) on Nordic, none on Fjord: SEK 89.00 a license and
    // month, billed annually, renewing in four months.
    ops::set_agreement(
        conn,
        ctx,
        &staff,
        nordic.id,
        &crate::domain::money::Agreement {
            price_minor: Some(8_900),
            currency: Some("SEK".into()),
            billing: Some("annual".into()),
            renews_on: Some(add_days(today, 120)),
        },
    )?;
    // Nordic: 19 plain active, 2 future starters, 2 leaving soon, 2 ended
    // but still active (not counted), 3 passive -> 23 counted of 20 owned.
    let mut n = 0;
    let mut add = |conn: &mut DbConnection,
                   account: &Account,
                   name: &str,
                   status: UserStatus,
                   start: i64,
                   end: Option<i64>|
     -> anyhow::Result<()> {
        n += 1;
        let number = format!("E{:04}", n);
        User::insert(
            conn,
            &NewUser {
                account_id: account.id,
                employee_number: &number,
                name,
                status,
                start_date: add_days(today, start),
                end_date: end.map(|e| add_days(today, e)),
                // A few stores, and some users without a unit.
                unit: DEMO_UNITS[n % DEMO_UNITS.len()],
            },
        )?;
        Ok(())
    };
    let first = [
        "Anna", "Bo", "Cecilia", "David", "Elin", "Fredrik", "Greta", "Hugo", "Ida", "Jonas",
        "Klara", "Lars", "Maja", "Nils", "Olivia", "Per", "Rut", "Sven", "Tove",
    ];
    for (i, name) in first.iter().enumerate() {
        add(
            conn,
            &nordic,
            &format!("{name} Andersson"),
            UserStatus::Active,
            -400 - i as i64,
            None,
        )?;
    }
    add(
        conn,
        &nordic,
        "Ulf Ny (starts soon)",
        UserStatus::Active,
        14,
        None,
    )?;
    add(
        conn,
        &nordic,
        "Vilma Ny (starts soon)",
        UserStatus::Active,
        40,
        None,
    )?;
    add(
        conn,
        &nordic,
        "Wilhelm Slutar",
        UserStatus::Active,
        -900,
        Some(10),
    )?;
    add(
        conn,
        &nordic,
        "Xenia Slutar",
        UserStatus::Active,
        -700,
        Some(25),
    )?;
    add(
        conn,
        &nordic,
        "Yngve Slutat",
        UserStatus::Active,
        -800,
        Some(-20),
    )?;
    add(
        conn,
        &nordic,
        "Zara Slutat",
        UserStatus::Active,
        -600,
        Some(-3),
    )?;
    add(conn, &nordic, "Åsa Passiv", UserStatus::Passive, -500, None)?;
    add(
        conn,
        &nordic,
        "Ärla Passiv",
        UserStatus::Passive,
        -300,
        Some(60),
    )?;
    add(
        conn,
        &nordic,
        "Örjan Passiv",
        UserStatus::Passive,
        -200,
        None,
    )?;
    // Fjord: 30 active, 5 passive -> 30 counted of 50 owned.
    for i in 0..30 {
        add(
            conn,
            &fjord,
            &format!("Fjord Ansatt {:02}", i + 1),
            UserStatus::Active,
            -100 - i,
            None,
        )?;
    }
    for i in 0..5 {
        add(
            conn,
            &fjord,
            &format!("Fjord Permisjon {:02}", i + 1),
            UserStatus::Passive,
            -300 - i,
            None,
        )?;
    }

    // Orders: Nordic has one approved and one pending; Fjord one rejected and one cancelled.
    let approved = ops::place_order(
        conn,
        ctx,
        &contact,
        nordic.id,
        &order_of(5, Some("PO-2026-001")),
        "demo-order-1",
    )?;
    ops::approve_order(
        conn,
        ctx,
        ops::Decider::staff(&staff),
        approved.id,
        Some("Welcome aboard"),
    )?;
    ops::adjust_licenses(
        conn,
        ctx,
        Some(staff.id),
        nordic.id,
        -5,
        ops::Period::default(),
        "Demo: keep the account over its licenses",
    )?;
    let waiting = ops::place_order(
        conn,
        ctx,
        &contact,
        nordic.id,
        &order_of(3, Some("PO-2026-014")),
        "demo-order-2",
    )?;
    let rejected = ops::place_order(
        conn,
        ctx,
        &fjord_contact,
        fjord.id,
        &order_of(100, None),
        "demo-order-3",
    )?;
    ops::reject_order(
        conn,
        ctx,
        ops::Decider::staff(&staff),
        rejected.id,
        "Please order what you need; 100 is more than your users.",
    )?;
    let cancelled = ops::place_order(
        conn,
        ctx,
        &fjord_contact,
        fjord.id,
        &order_of(2, Some("PO-88")),
        "demo-order-4",
    )?;
    ops::cancel_order(conn, ctx, &fjord_contact, None, fjord.id, cancelled.id)?;
    seasons(conn, ctx, &staff, &fjord_contact, nordic.id, fjord.id)?;
    handling(
        conn,
        ctx,
        &staff,
        &contact,
        &fjord_contact,
        fjord.id,
        waiting.id,
    )?;
    let invited = LoginInput::parse(
        "new.viewer@demo.example",
        "Nils Nyström",
        "viewer",
        Some(nordic.id),
        None,
    )
    .map_err(field)?;
    ops::invite_login(conn, ctx, Some(staff.id), &invited)?;
    crate::mail::notify::figures_changed(conn, ctx, nordic.id)?;
    // The users' history begins now.
    for account in [&nordic, &fjord] {
        crate::models::user_version::UserVersion::open_missing(
            conn,
            account.id,
            ctx.now.naive_utc(),
            &crate::models::user_version::ChangedBy::System("demo".into()),
        )?;
    }

    // Recorded history for the charts: the last 60 days.
    for (account, base) in [(&nordic, 17i64), (&fjord, 26i64)] {
        for back in 1..=60i64 {
            let day = add_days(today, -back);
            let active_users = base + (60 - back) / 12;
            let licenses = if account.id == nordic.id { 20 } else { 50 };
            Snapshot::record(
                conn,
                &Snapshot {
                    account_id: account.id,
                    day,
                    active_users,
                    licenses,
                },
            )?;
        }
    }
    Ok(())
}

fn make_login(
    conn: &mut DbConnection,
    (role, email, password): (&str, &str, &str),
    account: Option<i64>,
    name: &str,
) -> anyhow::Result<Login> {
    let input = LoginInput::parse(email, name, role, account, Some(password)).map_err(field)?;
    let hash = crate::password::Hasher::for_command().hash_blocking(password)?;
    Ok(ops::create_login(conn, None, &input, &hash)?)
}

fn field((name, e): (&'static str, crate::domain::validation::FieldError)) -> anyhow::Error {
    anyhow::anyhow!("demo data: field {name}: {e:?}")
}

/// An order of `quantity` licenses for good, as the demo places them.
fn order_of(quantity: i64, reference: Option<&str>) -> ops::OrderInput {
    ops::OrderInput {
        quantity,
        reference: reference.map(str::to_string),
        ..Default::default()
    }
}

/// Licenses over time (SPEC 12): Fjord's season of 30 more, ordered and
/// approved, and a reduction waiting for staff; Nordic's two extra
/// licenses for the next ten days, after which its users outnumber its
/// licenses, so its overview warns and its contacts have the mail.
fn seasons(
    conn: &mut DbConnection,
    ctx: &MailContext,
    staff: &Login,
    fjord_contact: &Login,
    nordic: i64,
    fjord: i64,
) -> anyhow::Result<()> {
    let today = Account::find(conn, fjord)?
        .ok_or_else(|| anyhow::anyhow!("the demo account is missing"))?
        .today(ctx.now);
    let season_start = crate::domain::ledger::first_of_next_month(today);
    let season = ops::OrderInput {
        quantity: 30,
        period: ops::Period {
            starts_on: Some(season_start),
            ends_on: Some(add_days(season_start, 91)),
        },
        reference: Some("SEASON-2027".into()),
        ..Default::default()
    };
    let order = ops::place_order(conn, ctx, fjord_contact, fjord, &season, "demo-order-5")?;
    ops::approve_order(
        conn,
        ctx,
        ops::Decider::staff(staff),
        order.id,
        Some("Have a good season"),
    )?;
    let fewer = ops::OrderInput {
        kind: crate::domain::orders::OrderKind::Reduce,
        quantity: 5,
        period: ops::Period {
            starts_on: Some(add_days(season_start, 92)),
            ends_on: None,
        },
        reference: Some("STORE-CLOSED".into()),
    };
    ops::place_order(conn, ctx, fjord_contact, fjord, &fewer, "demo-order-6")?;
    ops::adjust_licenses(
        conn,
        ctx,
        Some(staff.id),
        nordic,
        2,
        ops::Period {
            starts_on: Some(today),
            ends_on: Some(add_days(today, 10)),
        },
        "Demo: two extra for the stocktaking",
    )?;
    Ok(())
}

/// Faster handling (SPEC 13): Fjord's rule approves orders of up to 5 at
/// once (20 in 30 days) and one of its orders was approved by it; Nordic's
/// pending order carries a short exchange, last answered by the customer.
fn handling(
    conn: &mut DbConnection,
    ctx: &MailContext,
    staff: &Login,
    contact: &Login,
    fjord_contact: &Login,
    fjord: i64,
    waiting: i64,
) -> anyhow::Result<()> {
    let rule = crate::domain::orders::Rule {
        max_quantity: 5,
        max_per_30_days: 20,
    };
    ops::set_rule(conn, staff, fjord, rule)?;
    ops::place_order(
        conn,
        ctx,
        fjord_contact,
        fjord,
        &order_of(4, Some("PO-FJ-204")),
        "demo-order-7",
    )?;
    let nordic_side = ops::Writer::Customer {
        login: contact,
        account_id: contact.account_id.unwrap_or_default(),
    };
    let vendor = ops::Writer::Vendor(ops::Decider::staff(staff));
    for (writer, body) in [
        (
            nordic_side,
            "These are for the new store in Lund, opening on the 1st.\nCan they start before then?",
        ),
        (
            vendor,
            "Happy to. Which day should they start, and is PO-2026-014 the right number?",
        ),
        (
            nordic_side,
            "From Monday, please. Yes, PO-2026-014 is right.",
        ),
    ] {
        ops::post_message(conn, ctx, writer, waiting, body)?;
    }
    Ok(())
}
