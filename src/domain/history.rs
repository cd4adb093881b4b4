//! Who started or stopped being counted between the ends of two days, and
//! why (SPEC 11): the net change of one user from the version it had at
//! the first end to the one at the second, under the rule of `counting`.

use chrono::NaiveDate;

use super::counting::{count_reason, UserStatus};

/// What the rule needs of a user's version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stood {
    pub status: UserStatus,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
}

impl Stood {
    pub fn counted(&self, day: NaiveDate) -> bool {
        count_reason(self.status, self.start_date, self.end_date, day).is_counted()
    }
}

/// Why a user's counting changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// New on the account.
    Added,
    /// Set active again.
    SetActive,
    /// Its end date was moved on or cleared.
    EndDateMoved,
    /// Set passive.
    SetPassive,
    /// Its end date, unchanged, passed (the last counted day).
    EndDatePassed(NaiveDate),
    /// An end date before the second day was set.
    EndDateSet,
}

impl Why {
    pub fn code(self) -> &'static str {
        match self {
            Why::Added => "added",
            Why::SetActive => "set-active",
            Why::EndDateMoved => "end-date-moved",
            Why::SetPassive => "set-passive",
            Why::EndDatePassed(_) => "end-date-passed",
            Why::EndDateSet => "end-date-set",
        }
    }
}

/// The net change of one user between the end of `from_day` (as `from`)
/// and the end of `to_day` (as `to`): `Some((started, why))` when it was
/// counted at one end and not at the other.
pub fn net_change(
    from: Option<&Stood>,
    to: Option<&Stood>,
    from_day: NaiveDate,
    to_day: NaiveDate,
) -> Option<(bool, Why)> {
    let was = from.is_some_and(|s| s.counted(from_day));
    let is = to.is_some_and(|s| s.counted(to_day));
    match (was, is) {
        (false, true) => {
            let to = to?;
            let why = match from {
                None => Why::Added,
                Some(f) if f.status == UserStatus::Passive && to.status == UserStatus::Active => {
                    Why::SetActive
                }
                Some(_) => Why::EndDateMoved,
            };
            Some((true, why))
        }
        (true, false) => {
            let from = from?;
            let why = match to {
                // Users are never deleted; a missing one reads as passive.
                None => Why::SetPassive,
                Some(t) if t.status == UserStatus::Passive => Why::SetPassive,
                Some(t) if t.end_date == from.end_date => {
                    Why::EndDatePassed(t.end_date.unwrap_or(to_day))
                }
                Some(_) => Why::EndDateSet,
            };
            Some((false, why))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn stood(status: UserStatus, end: Option<&str>) -> Stood {
        Stood {
            status,
            start_date: d("2020-01-01"),
            end_date: end.map(d),
        }
    }

    #[test]
    fn each_net_change_has_its_reason() {
        use UserStatus::*;
        let (from, to) = (d("2026-11-01"), d("2026-11-30"));
        let active = stood(Active, None);
        let passive = stood(Passive, None);
        let ends = stood(Active, Some("2026-11-15"));
        let later = stood(Active, Some("2026-12-15"));
        let cases = [
            (None, Some(active), Some((true, Why::Added))),
            (Some(passive), Some(active), Some((true, Why::SetActive))),
            (
                Some(stood(Active, Some("2026-10-01"))),
                Some(later),
                Some((true, Why::EndDateMoved)),
            ),
            (Some(active), Some(passive), Some((false, Why::SetPassive))),
            (
                Some(ends),
                Some(ends),
                Some((false, Why::EndDatePassed(d("2026-11-15")))),
            ),
            (Some(active), Some(ends), Some((false, Why::EndDateSet))),
            (Some(active), Some(later), None),
            (Some(passive), Some(passive), None),
            (None, Some(passive), None),
        ];
        for (a, b, want) in cases {
            assert_eq!(
                net_change(a.as_ref(), b.as_ref(), from, to),
                want,
                "{a:?} -> {b:?}"
            );
        }
    }

    #[test]
    fn the_end_date_itself_is_still_counted() {
        let day = d("2026-11-15");
        let ends = stood(UserStatus::Active, Some("2026-11-15"));
        assert_eq!(net_change(Some(&ends), Some(&ends), day, day), None);
        assert_eq!(
            net_change(Some(&ends), Some(&ends), day, d("2026-11-16")),
            Some((false, Why::EndDatePassed(day)))
        );
    }
}
