//! What a test sets up: accounts, logins, users in every state, the world
//! of two accounts.

use std::sync::Once;

use license_portal::domain::counting::UserStatus;
use license_portal::models::user::NewUser;
use license_portal::models::{Account, Login, User};
use license_portal::ops::{self, AccountInput, LoginInput};

/// The password every test login gets.
pub const PASSWORD: &str = "correct horse battery staple";

static BACKEND_NOTE: Once = Once::new();

#[allow(unused_imports)]
use super::*;

impl TestApp {
    pub fn create_account(&self, name: &str, licenses: i64) -> Account {
        let input = AccountInput::parse(name, &licenses.to_string(), "Europe/Stockholm")
            .expect("account input");
        ops::create_account(&mut self.conn(), None, &input, self.state.clock.now())
            .expect("account")
    }

    pub fn create_login(&self, email: &str, role: &str, account: Option<i64>) -> Login {
        let input =
            LoginInput::parse(email, "", role, account, Some(PASSWORD)).expect("login input");
        let hash = license_portal::password::Hasher::for_command()
            .hash_blocking(PASSWORD)
            .expect("hash");
        ops::create_login(&mut self.conn(), None, &input, &hash).expect("login")
    }

    pub fn add_user(
        &self,
        account_id: i64,
        number: &str,
        status: UserStatus,
        start: &str,
        end: Option<&str>,
    ) {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        self.insert_user(account_id, number, status, d(start), end.map(d));
    }

    /// Insert a user; returns its id.
    fn insert_user(
        &self,
        account_id: i64,
        number: &str,
        status: UserStatus,
        start_date: chrono::NaiveDate,
        end_date: Option<chrono::NaiveDate>,
    ) -> i64 {
        User::insert(
            &mut self.conn(),
            &NewUser {
                account_id,
                employee_number: number,
                name: number,
                status,
                start_date,
                end_date,
                unit: None,
            },
        )
        .expect("user");
        license_portal::models::user_version::UserVersion::open_missing(
            &mut self.conn(),
            account_id,
            self.state.clock.now().naive_utc(),
            &license_portal::models::user_version::ChangedBy::System("fixture".into()),
        )
        .expect("version");
        User::find_by_number(&mut self.conn(), account_id, number)
            .expect("query")
            .expect("user exists")
            .id
    }

    /// Add users to an account in named states, in one line:
    /// `app.add_users(a, &[(UserState::Counted, 10), (UserState::Passive, 1)])`.
    /// Employee numbers are the state's letter and a count (`C0`, `C1`, `P0`).
    pub fn add_users(&self, account_id: i64, states: &[(UserState, usize)]) {
        for (state, n) in states {
            for i in 0..*n {
                self.accounts_user(account_id, &format!("{}{i}", state.letter()), *state);
            }
        }
    }

    /// Add one user in a named state; returns its id.
    pub fn accounts_user(&self, account_id: i64, number: &str, state: UserState) -> i64 {
        let today = self.today();
        let (status, start, end) = state.fields(today);
        self.insert_user(account_id, number, status, start, end)
    }

    /// "Today" in Europe/Stockholm by the app's clock.
    pub fn today(&self) -> chrono::NaiveDate {
        use chrono_tz::Europe::Stockholm;
        self.state
            .clock
            .now()
            .with_timezone(&Stockholm)
            .date_naive()
    }

    /// What the app's operations write mail with (its links, its clock).
    pub fn mail_ctx(&self) -> license_portal::mail::MailContext {
        self.state.mail_ctx()
    }

    /// The login with this email, which must exist.
    pub fn login(&self, email: &str) -> Login {
        Login::find_by_email(&mut self.conn(), email)
            .expect("query")
            .expect("login exists")
    }

    pub fn account(&self, id: i64) -> Account {
        Account::find(&mut self.conn(), id)
            .expect("query")
            .expect("account exists")
    }

    /// A world to test in: two accounts, each with a contact and a viewer,
    /// and one staff login.
    pub fn world(&self) -> World {
        let a = self.create_account("Alpha AB", 10);
        let b = self.create_account("Beta AB", 20);
        self.create_login("contact@alpha.example", "contact", Some(a.id));
        self.create_login("viewer@alpha.example", "viewer", Some(a.id));
        self.create_login("contact@beta.example", "contact", Some(b.id));
        self.create_login("staff@vendor.example", "staff", None);
        World { a, b }
    }
}

/// A contact of an account, with `PASSWORD`.
pub fn create_contact(app: &TestApp, email: &str, account_id: i64) -> Login {
    app.create_login(email, "contact", Some(account_id))
}

pub struct World {
    pub a: Account,
    pub b: Account,
}

/// A user's state, for fixtures: each gives status and dates relative to
/// the app's today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserState {
    /// Active, started long ago, no end date.
    Counted,
    /// Set passive.
    Passive,
    /// Active, end date yesterday.
    Ended,
    /// Active, end date in ten days.
    EndingSoon,
    /// Active, starts in five days (counted all the same).
    FutureStart,
}

impl UserState {
    fn letter(self) -> char {
        match self {
            UserState::Counted => 'C',
            UserState::Passive => 'P',
            UserState::Ended => 'X',
            UserState::EndingSoon => 'S',
            UserState::FutureStart => 'F',
        }
    }

    fn fields(
        self,
        today: chrono::NaiveDate,
    ) -> (UserStatus, chrono::NaiveDate, Option<chrono::NaiveDate>) {
        let long_ago = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date");
        let days = chrono::Duration::days;
        match self {
            UserState::Counted => (UserStatus::Active, long_ago, None),
            UserState::Passive => (UserStatus::Passive, long_ago, None),
            UserState::Ended => (UserStatus::Active, long_ago, Some(today - days(1))),
            UserState::EndingSoon => (UserStatus::Active, long_ago, Some(today + days(10))),
            UserState::FutureStart => (UserStatus::Active, today + days(5), None),
        }
    }
}

/// An order of `quantity` licenses for good from approval.
pub fn adds(quantity: i64) -> ops::OrderInput {
    ops::OrderInput {
        quantity,
        ..Default::default()
    }
}
