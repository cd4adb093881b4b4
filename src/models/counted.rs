//! The counting rule of SPEC 1 (`domain::counting::is_counted`) in SQL, in
//! the only two forms the portal writes it:
//!
//! - over `users` rows ([`user_on`]): active, and no end date or one on or
//!   after the day;
//! - over the per-end-date sums the triggers keep in `user_counts`
//!   ([`sums_on`]): the rows whose end date is on or after the day, a user
//!   without an end date kept under [`NO_END`].
//!
//! Every query that counts, lists or reports counted users takes one of
//! these; `tests/api/counting.rs` holds both, and the session's shared
//! statement, to the Rust rule on every day of a range.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::{user_counts, users};

/// The end date `user_counts` keeps a user without one under (the
/// triggers of `migrations/*_user_counts` and `User::in_bulk` write it).
pub const NO_END: NaiveDate = match NaiveDate::from_ymd_opt(9999, 12, 31) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// A `users` row counted on `day`.
#[diesel::dsl::auto_type]
pub fn user_on(day: NaiveDate) -> _ {
    users::status
        .eq("active")
        .and(users::end_date.is_null().or(users::end_date.ge(day)))
}

/// The `user_counts` rows whose users are counted on `day`.
#[diesel::dsl::auto_type]
pub fn sums_on(day: NaiveDate) -> _ {
    user_counts::end_date.ge(day)
}

/// A `users` row that counts on some day (what `user_counts` sums).
#[diesel::dsl::auto_type]
pub fn user_active() -> _ {
    users::status.eq("active")
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_stored_word_of_an_active_user_is_the_one_the_sql_names() {
        assert_eq!(
            crate::domain::counting::UserStatus::Active.as_str(),
            "active"
        );
    }
}
