//! Who takes a license (SPEC section 1): one rule, one place.
//!
//! `counted(user, day) = status == active AND (end_date IS NULL OR end_date >= day)`.
//! The start date plays no part in the count; it only explains it.

use chrono::{DateTime, Days, NaiveDate, Utc};
use chrono_tz::Tz;

/// A user's status as stored (`active` or `passive`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserStatus {
    Active,
    Passive,
}

impl UserStatus {
    pub const fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Passive => "passive",
        }
    }

    pub fn parse(s: &str) -> Option<UserStatus> {
        match s {
            "active" => Some(UserStatus::Active),
            "passive" => Some(UserStatus::Passive),
            _ => None,
        }
    }
}

/// Why a user is or is not counted on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CountReason {
    /// Active, started, no end date before the day.
    Counted,
    /// Active with a start date after the day: counted all the same.
    CountedStartsOn(NaiveDate),
    /// Set passive: never counted, whatever the dates.
    Passive,
    /// Active, but the end date has passed.
    EndedOn(NaiveDate),
}

impl CountReason {
    pub fn is_counted(self) -> bool {
        matches!(self, CountReason::Counted | CountReason::CountedStartsOn(_))
    }
}

/// The rule itself.
pub fn count_reason(
    status: UserStatus,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    day: NaiveDate,
) -> CountReason {
    match (status, end_date) {
        (UserStatus::Passive, _) => CountReason::Passive,
        (UserStatus::Active, Some(end)) if end < day => CountReason::EndedOn(end),
        (UserStatus::Active, _) if start_date > day => CountReason::CountedStartsOn(start_date),
        (UserStatus::Active, _) => CountReason::Counted,
    }
}

/// Whether the user takes a license on `day`.
pub fn is_counted(
    status: UserStatus,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    day: NaiveDate,
) -> bool {
    count_reason(status, start_date, end_date, day).is_counted()
}

/// "Today" in the account's time zone.
pub fn today_in(time_zone: Tz, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&time_zone).date_naive()
}

/// The end of `day` in the time zone, as a UTC instant: the next day's
/// first local moment (where a change at that instant already belongs to
/// the next day). A midnight that a clock change skips is taken an hour on.
pub fn end_of_day(time_zone: Tz, day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let next = day.succ_opt().unwrap_or(day);
    let midnight = next.and_hms_opt(0, 0, 0).unwrap_or_default();
    match time_zone.from_local_datetime(&midnight) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.with_timezone(&Utc)
        }
        chrono::LocalResult::None => time_zone
            .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&midnight)),
    }
}

/// Parse an IANA time zone name; the default is Europe/Stockholm.
pub fn parse_time_zone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// The default time zone of a new account.
pub const DEFAULT_TIME_ZONE: &str = "Europe/Stockholm";

/// How far ahead "ending soon" looks, in days.
pub const ENDING_SOON_DAYS: u64 = 30;

/// The "before you order" groups and the users-list filters. Each user falls
/// in at most one of the first four (checked in this order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserGroup {
    /// Passive: not counted.
    Passive,
    /// Active, end date passed: not counted (someone who left is not counted).
    Ended,
    /// Active, end date from today to 30 days ahead: counted, leaving soon.
    EndingSoon,
    /// Active with a future start date: counted.
    FutureStart,
}

impl UserGroup {
    pub const ALL: [UserGroup; 4] = [
        UserGroup::Passive,
        UserGroup::Ended,
        UserGroup::EndingSoon,
        UserGroup::FutureStart,
    ];

    /// The filter word used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            UserGroup::Passive => "passive",
            UserGroup::Ended => "ended",
            UserGroup::EndingSoon => "ending-soon",
            UserGroup::FutureStart => "future-start",
        }
    }
}

/// The one group a user falls in on `day`, if any.
pub fn user_group(
    status: UserStatus,
    start_date: NaiveDate,
    end_date: Option<NaiveDate>,
    day: NaiveDate,
) -> Option<UserGroup> {
    let soon_until = ending_soon_until(day);
    match (status, end_date) {
        (UserStatus::Passive, _) => Some(UserGroup::Passive),
        (UserStatus::Active, Some(end)) if end < day => Some(UserGroup::Ended),
        (UserStatus::Active, Some(end)) if end <= soon_until => Some(UserGroup::EndingSoon),
        (UserStatus::Active, _) if start_date > day => Some(UserGroup::FutureStart),
        _ => None,
    }
}

/// The last day that still counts as "ending soon" seen from `day`.
pub fn ending_soon_until(day: NaiveDate) -> NaiveDate {
    day.checked_add_days(Days::new(ENDING_SOON_DAYS))
        .unwrap_or(NaiveDate::MAX)
}

/// Free licenses (negative: the shortfall).
pub fn free_licenses(owned: i64, counted: i64) -> i64 {
    owned.saturating_sub(counted)
}

/// What to suggest ordering when over the licenses: the shortfall less what
/// pending orders already ask for, if still positive.
pub fn suggested_quantity(owned: i64, counted: i64, pending_quantity: i64) -> Option<i64> {
    let shortfall = counted.saturating_sub(owned);
    let rest = shortfall.saturating_sub(pending_quantity);
    (shortfall > 0 && rest > 0).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_ends_at_the_next_local_midnight_in_utc() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 3).expect("date");
        let at = |tz: Tz| end_of_day(tz, day).naive_utc().to_string();
        assert_eq!(at(chrono_tz::Europe::Stockholm), "2026-11-03 23:00:00");
        assert_eq!(at(chrono_tz::Pacific::Auckland), "2026-11-03 11:00:00");
        assert_eq!(at(chrono_tz::America::Los_Angeles), "2026-11-04 08:00:00");
    }
    use chrono::TimeZone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date")
    }

    #[test]
    fn an_end_date_of_today_is_still_counted_and_yesterday_is_not() {
        let today = d("2026-11-28");
        assert!(is_counted(
            UserStatus::Active,
            d("2020-01-01"),
            Some(today),
            today
        ));
        assert_eq!(
            count_reason(
                UserStatus::Active,
                d("2020-01-01"),
                Some(d("2026-11-27")),
                today
            ),
            CountReason::EndedOn(d("2026-11-27"))
        );
    }

    #[test]
    fn a_future_starter_is_counted() {
        let today = d("2026-11-28");
        assert_eq!(
            count_reason(UserStatus::Active, d("2027-01-01"), None, today),
            CountReason::CountedStartsOn(d("2027-01-01"))
        );
        assert!(is_counted(UserStatus::Active, d("2027-01-01"), None, today));
    }

    #[test]
    fn a_passive_user_is_never_counted_whatever_the_dates() {
        let today = d("2026-11-28");
        for (start, end) in [
            (d("2020-01-01"), None),
            (d("2030-01-01"), None),
            (d("2020-01-01"), Some(d("2030-01-01"))),
            (d("2020-01-01"), Some(d("2021-01-01"))),
        ] {
            assert_eq!(
                count_reason(UserStatus::Passive, start, end, today),
                CountReason::Passive
            );
        }
    }

    #[test]
    fn today_is_the_date_in_the_accounts_time_zone() {
        // 2026-11-28 10:30 UTC is already the 29th in Kiritimati (UTC+14)
        // and still the 27th in Pago Pago (UTC-11).
        let now = Utc
            .with_ymd_and_hms(2026, 11, 28, 10, 30, 0)
            .single()
            .expect("time");
        let kiritimati = parse_time_zone("Pacific/Kiritimati").expect("zone");
        let pago_pago = parse_time_zone("Pacific/Pago_Pago").expect("zone");
        assert_eq!(today_in(kiritimati, now), d("2026-11-29"));
        assert_eq!(today_in(pago_pago, now), d("2026-11-27"));

        // A user whose last day is the 28th: gone in Kiritimati, counted in Pago Pago.
        let end = Some(d("2026-11-28"));
        let start = d("2020-01-01");
        assert!(!is_counted(
            UserStatus::Active,
            start,
            end,
            today_in(kiritimati, now)
        ));
        assert!(is_counted(
            UserStatus::Active,
            start,
            end,
            today_in(pago_pago, now)
        ));
    }

    #[test]
    fn each_user_falls_in_at_most_one_group() {
        let today = d("2026-11-28");
        let g = |status, start, end: Option<&str>| user_group(status, d(start), end.map(d), today);
        assert_eq!(
            g(UserStatus::Passive, "2020-01-01", Some("2020-02-01")),
            Some(UserGroup::Passive)
        );
        assert_eq!(
            g(UserStatus::Active, "2020-01-01", Some("2026-11-27")),
            Some(UserGroup::Ended)
        );
        assert_eq!(
            g(UserStatus::Active, "2020-01-01", Some("2026-11-28")),
            Some(UserGroup::EndingSoon)
        );
        assert_eq!(
            g(UserStatus::Active, "2020-01-01", Some("2026-12-28")),
            Some(UserGroup::EndingSoon)
        );
        assert_eq!(
            g(UserStatus::Active, "2020-01-01", Some("2026-12-29")),
            None
        );
        assert_eq!(
            g(UserStatus::Active, "2026-12-01", Some("2026-12-10")),
            Some(UserGroup::EndingSoon)
        );
        assert_eq!(
            g(UserStatus::Active, "2026-12-01", None),
            Some(UserGroup::FutureStart)
        );
        assert_eq!(g(UserStatus::Active, "2020-01-01", None), None);
    }

    #[test]
    fn the_suggestion_is_the_shortfall_less_pending_orders() {
        assert_eq!(suggested_quantity(10, 15, 0), Some(5));
        assert_eq!(suggested_quantity(10, 15, 3), Some(2));
        assert_eq!(suggested_quantity(10, 15, 5), None);
        assert_eq!(suggested_quantity(10, 8, 0), None);
        assert_eq!(free_licenses(10, 15), -5);
    }
}
