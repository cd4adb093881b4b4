//! Warnings before the licenses run short (SPEC 14): when the users
//! counted today reach a share of the licenses owned, and when the
//! forecast shows a day within the look-ahead whose counted users exceed
//! that day's licenses. Pure rules; `mail::notify::warnings` reads the
//! figures and sends.

use chrono::{Days, NaiveDate};

use super::ledger::{Shortfall, Span};
use super::validation::{parse_count, FieldError};

/// The threshold a new account warns at, in percent.
pub const DEFAULT_THRESHOLD_PERCENT: i32 = 90;
/// How far a new account's forecast warning looks ahead, in days.
pub const DEFAULT_LOOK_AHEAD_DAYS: i32 = 30;
/// The longest look-ahead.
pub const MAX_LOOK_AHEAD_DAYS: i64 = 365;

/// An account's warning settings, as `/account/alerts` takes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alerts {
    /// 1 to 100; `None`: the usage warning is off.
    pub threshold_percent: Option<i32>,
    /// 0 to 365; 0: the forecast warning is off.
    pub look_ahead_days: i32,
}

impl Alerts {
    /// Parse the form's two fields: the threshold empty (off) or a whole
    /// number from 1 to 100, the look-ahead a whole number from 0 to 365.
    /// Each field's error is given, both when both are wrong.
    pub fn parse(
        threshold: &str,
        look_ahead: &str,
    ) -> Result<Alerts, Vec<(&'static str, FieldError)>> {
        let mut errors = Vec::new();
        let threshold = threshold.trim();
        let threshold_percent = if threshold.is_empty() {
            None
        } else {
            match parse_count(threshold, 100, FieldError::ThresholdPercent) {
                Ok(n) if n >= 1 => i32::try_from(n).ok(),
                _ => {
                    errors.push(("threshold_percent", FieldError::ThresholdPercent));
                    None
                }
            }
        };
        let look_ahead_days =
            match parse_count(look_ahead, MAX_LOOK_AHEAD_DAYS, FieldError::LookAheadDays) {
                Ok(n) => i32::try_from(n).unwrap_or(0),
                Err(e) => {
                    errors.push(("look_ahead_days", e));
                    0
                }
            };
        if errors.is_empty() {
            Ok(Alerts {
                threshold_percent,
                look_ahead_days,
            })
        } else {
            Err(errors)
        }
    }
}

/// Whether `counted` users reach `threshold` percent of `owned` licenses:
/// counted x 100 >= threshold x owned. No users reach nothing (an account
/// of 0 licenses and 0 users has nothing to be warned of).
pub fn reaches(counted: i64, owned: i64, threshold: i32) -> bool {
    counted > 0 && i128::from(counted) * 100 >= i128::from(threshold) * i128::from(owned.max(0))
}

/// The share of `owned` licenses `counted` users take, in whole percent
/// (rounded down; 100 when none are owned), as the warnings write it.
pub fn share_percent(counted: i64, owned: i64) -> i64 {
    if owned > 0 {
        counted.saturating_mul(100) / owned
    } else {
        100
    }
}

/// Why the licenses fall short on a day: what changes on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShortBecause {
    /// Temporary licenses end the day before (`ending` of them).
    TemporaryEnd { ending: i64 },
    /// A reduction takes effect on the day (`by` licenses).
    Reduction { by: i64 },
    /// Both on the same day.
    Both { ending: i64, by: i64 },
}

/// A day within the look-ahead whose counted users exceed its licenses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShortDay {
    pub short: Shortfall,
    pub because: ShortBecause,
}

/// The first short day after `today` and at most `look_ahead` days ahead,
/// from the first short day from today on (`ledger::first_short`): none
/// when today is itself short (`over_licenses` tells of that), or the
/// look-ahead is 0. Users counted never rise after today (future starters
/// already count), so a later day is short only where licenses drop.
pub fn forecast_short(
    spans: &[Span],
    today: NaiveDate,
    look_ahead: i32,
    first: Option<Shortfall>,
) -> Option<ShortDay> {
    let first = first?;
    let last = today.checked_add_days(Days::new(u64::try_from(look_ahead).ok()?))?;
    if look_ahead <= 0 || first.day <= today || first.day > last {
        return None;
    }
    let before = first.day.pred_opt()?;
    let ending: i64 = spans
        .iter()
        .filter(|s| s.change > 0 && s.ends_on == Some(before))
        .map(|s| s.change)
        .sum();
    let by: i64 = spans
        .iter()
        .filter(|s| s.change < 0 && s.starts_on == first.day)
        .map(|s| -s.change)
        .sum();
    let because = match (ending, by) {
        (0, by) => ShortBecause::Reduction { by },
        (ending, 0) => ShortBecause::TemporaryEnd { ending },
        (ending, by) => ShortBecause::Both { ending, by },
    };
    Some(ShortDay {
        short: first,
        because,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn the_threshold_is_reached_at_counted_times_100_over_threshold_times_owned() {
        assert!(reaches(90, 100, 90));
        assert!(!reaches(89, 100, 90));
        assert!(reaches(9, 10, 90));
        assert!(!reaches(8, 10, 90));
        // 1 of 3 at 33 %: 100 >= 99
        assert!(reaches(1, 3, 33));
        assert!(!reaches(1, 3, 34));
        assert!(reaches(100, 100, 100));
        assert!(reaches(120, 100, 100));
        assert!(!reaches(0, 0, 90));
        assert!(reaches(1, 0, 1));
        assert_eq!(share_percent(9, 10), 90);
        assert_eq!(share_percent(2, 3), 66);
        assert_eq!(share_percent(5, 0), 100);
    }

    proptest! {
        #[test]
        fn reaching_agrees_with_the_share_in_exact_fractions(
            counted in 0i64..10_000, owned in 0i64..10_000, threshold in 1i32..=100
        ) {
            // counted / owned >= threshold / 100, without division
            let expected = counted > 0
                && (owned == 0 || (counted as f64 / owned as f64) * 100.0 >= f64::from(threshold) - 1e-9);
            prop_assert_eq!(reaches(counted, owned, threshold), expected);
        }
    }

    #[test]
    fn the_alerts_form_takes_its_ranges_and_empty_turns_the_threshold_off() {
        assert_eq!(
            Alerts::parse("90", "30"),
            Ok(Alerts {
                threshold_percent: Some(90),
                look_ahead_days: 30
            })
        );
        assert_eq!(
            Alerts::parse(" ", "0"),
            Ok(Alerts {
                threshold_percent: None,
                look_ahead_days: 0
            })
        );
        assert_eq!(
            Alerts::parse("100", "365").map(|a| a.look_ahead_days),
            Ok(365)
        );
        for bad in ["0", "101", "9.5", "-1", "x"] {
            assert_eq!(
                Alerts::parse(bad, "30"),
                Err(vec![("threshold_percent", FieldError::ThresholdPercent)]),
                "{bad}"
            );
        }
        for bad in ["", "366", "-1", "1e2"] {
            assert_eq!(
                Alerts::parse("90", bad),
                Err(vec![("look_ahead_days", FieldError::LookAheadDays)]),
                "{bad}"
            );
        }
        assert_eq!(Alerts::parse("0", "").map_err(|e| e.len()), Err(2));
    }

    fn span(change: i64, from: &str, until: Option<&str>) -> Span {
        Span {
            change,
            starts_on: d(from),
            ends_on: until.map(d),
        }
    }

    fn short(day: &str) -> Option<Shortfall> {
        Some(Shortfall {
            day: d(day),
            owned: 10,
            counted: 12,
        })
    }

    #[test]
    fn a_short_day_within_the_look_ahead_says_what_changes_on_it() {
        let today = d("2026-06-01");
        let spans = [
            span(10, "2026-01-01", None),
            span(5, "2026-06-01", Some("2026-06-20")),
            span(-3, "2026-06-21", None),
        ];
        let found = forecast_short(&spans, today, 30, short("2026-06-21")).expect("short");
        assert_eq!(found.because, ShortBecause::Both { ending: 5, by: 3 });
        let only_end = [
            span(10, "2026-01-01", None),
            span(5, "2026-06-01", Some("2026-06-20")),
        ];
        assert_eq!(
            forecast_short(&only_end, today, 30, short("2026-06-21")).map(|s| s.because),
            Some(ShortBecause::TemporaryEnd { ending: 5 })
        );
        let only_cut = [span(10, "2026-01-01", None), span(-3, "2026-06-21", None)];
        assert_eq!(
            forecast_short(&only_cut, today, 30, short("2026-06-21")).map(|s| s.because),
            Some(ShortBecause::Reduction { by: 3 })
        );
    }

    #[test]
    fn no_short_day_today_beyond_the_look_ahead_or_with_it_off() {
        let today = d("2026-06-01");
        let spans = [span(10, "2026-01-01", None)];
        assert_eq!(forecast_short(&spans, today, 30, short("2026-06-01")), None);
        assert!(forecast_short(&spans, today, 30, short("2026-07-01")).is_some());
        assert_eq!(forecast_short(&spans, today, 30, short("2026-07-02")), None);
        assert_eq!(forecast_short(&spans, today, 0, short("2026-06-02")), None);
        assert_eq!(forecast_short(&spans, today, 30, None), None);
    }
}
