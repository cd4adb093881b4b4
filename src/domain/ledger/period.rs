//! The days a change of licenses covers, as asked on the forms and in the
//! API (SPEC 12): an addition's From and Until, a reduction's first day.

use chrono::NaiveDate;

use crate::domain::validation::{parse_date, FieldError, MAX_PERIOD_DAYS};

/// The days an order or adjustment covers, as asked: from `starts_on`
/// (`None`: the day it takes effect) to `ends_on` (`None`: for good).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Period {
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

impl Period {
    /// An addition's period from the form's or the API's text (empty:
    /// none): neither day before `today`, the last not before the first,
    /// at most 366 days counting both ends. The refused field is named.
    pub fn parse_add(
        starts_on: &str,
        ends_on: &str,
        today: NaiveDate,
    ) -> Result<Period, (&'static str, FieldError)> {
        let starts_on = optional_day(starts_on).map_err(|e| ("starts_on", e))?;
        let ends_on = optional_day(ends_on).map_err(|e| ("ends_on", e))?;
        if starts_on.is_some_and(|d| d < today) {
            return Err(("starts_on", FieldError::PastDay));
        }
        if let Some(end) = ends_on {
            if end < today {
                return Err(("ends_on", FieldError::PastDay));
            }
            let first = starts_on.unwrap_or(today);
            if end < first {
                return Err(("ends_on", FieldError::EndBeforeStart));
            }
            if (end - first).num_days() + 1 > MAX_PERIOD_DAYS {
                return Err(("ends_on", FieldError::PeriodTooLong));
            }
        }
        Ok(Period { starts_on, ends_on })
    }

    /// A reduction's period: for good from `starts_on`, tomorrow at the
    /// earliest (`None`: the first day of next month).
    pub fn parse_reduce(
        starts_on: &str,
        ends_on: &str,
        today: NaiveDate,
    ) -> Result<Period, (&'static str, FieldError)> {
        if !ends_on.trim().is_empty() {
            return Err(("ends_on", FieldError::ReduceNoEnd));
        }
        let starts_on = optional_day(starts_on)
            .map_err(|e| ("starts_on", e))?
            .unwrap_or_else(|| first_of_next_month(today));
        if starts_on <= today {
            return Err(("starts_on", FieldError::NotBeforeTomorrow));
        }
        Ok(Period {
            starts_on: Some(starts_on),
            ends_on: None,
        })
    }
}

/// The first day of the month after `day`'s.
pub fn first_of_next_month(day: NaiveDate) -> NaiveDate {
    use chrono::Datelike;
    let (y, m) = if day.month() == 12 {
        (day.year() + 1, 1)
    } else {
        (day.year(), day.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(day)
}

fn optional_day(text: &str) -> Result<Option<NaiveDate>, FieldError> {
    match text.trim() {
        "" => Ok(None),
        t => parse_date(t).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::d;
    use super::*;

    #[test]
    fn an_order_period_is_checked_field_by_field() {
        let today = d("2027-05-10");
        let p = |a: &str, b: &str| Period::parse_add(a, b, today);
        assert_eq!(p("", ""), Ok(Period::default()));
        assert_eq!(
            p("2027-06-01", ""),
            Ok(Period {
                starts_on: Some(d("2027-06-01")),
                ends_on: None
            })
        );
        assert_eq!(p("2027-05-09", ""), Err(("starts_on", FieldError::PastDay)));
        assert_eq!(p("", "2027-05-09"), Err(("ends_on", FieldError::PastDay)));
        assert_eq!(
            p("2027-06-02", "2027-06-01"),
            Err(("ends_on", FieldError::EndBeforeStart))
        );
        assert_eq!(p("1 June", ""), Err(("starts_on", FieldError::Date)));
        // 366 days counting both ends is the most.
        assert!(p("2027-06-01", "2028-05-31").is_ok());
        assert_eq!(
            p("2027-06-01", "2028-06-01"),
            Err(("ends_on", FieldError::PeriodTooLong))
        );
        assert!(p("", "2028-05-09").is_ok());
        assert!(p("", "2028-05-10").is_err());
    }

    #[test]
    fn a_reduction_starts_tomorrow_at_the_earliest_and_never_ends() {
        let today = d("2027-12-10");
        let r = |a: &str, b: &str| Period::parse_reduce(a, b, today);
        assert_eq!(r("", "").map(|p| p.starts_on), Ok(Some(d("2028-01-01"))));
        assert_eq!(
            r("2027-12-10", ""),
            Err(("starts_on", FieldError::NotBeforeTomorrow))
        );
        assert!(r("2027-12-11", "").is_ok());
        assert_eq!(
            r("2027-12-11", "2028-01-01"),
            Err(("ends_on", FieldError::ReduceNoEnd))
        );
    }
}
