//! Licenses over time (SPEC 12): the rule of the ledger, without a
//! database. Licenses owned on a day are the sum of the changes whose
//! period covers it; the figure changes only on a row's first day or on
//! the day after its last.

use chrono::NaiveDate;

use super::orders::OrderKind;
use super::validation::{parse_date, FieldError, MAX_PERIOD_DAYS};

/// Why a ledger row exists, stored as the lowercase word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LedgerKind {
    /// An account's starting licenses.
    Initial,
    /// An approved order (an addition or a reduction).
    Order,
    /// A staff adjustment with a reason.
    Adjustment,
}

impl LedgerKind {
    pub const ALL: [LedgerKind; 3] = [
        LedgerKind::Initial,
        LedgerKind::Order,
        LedgerKind::Adjustment,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LedgerKind::Initial => "initial",
            LedgerKind::Order => "order",
            LedgerKind::Adjustment => "adjustment",
        }
    }

    pub fn parse(s: &str) -> Option<LedgerKind> {
        LedgerKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A change and the days it covers: from `starts_on` to `ends_on`, both
/// included (`None`: for good).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub change: i64,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

impl Span {
    /// Spans as the account row keeps them: `[[change, "first", "last"]]`.
    pub fn encode(spans: &[Span]) -> String {
        let rows: Vec<(i64, NaiveDate, Option<NaiveDate>)> = spans
            .iter()
            .map(|s| (s.change, s.starts_on, s.ends_on))
            .collect();
        serde_json::to_string(&rows).unwrap_or_else(|_| "[]".into())
    }

    /// Spans kept by `encode`; `None` for text it did not write.
    /// It runs on every overview, so its days are read by a fixed-form
    /// parser rather than chrono's general one.
    pub fn decode(text: &str) -> Option<Vec<Span>> {
        let rows: Vec<(i64, &str, Option<&str>)> = serde_json::from_str(text).ok()?;
        rows.into_iter()
            .map(|(change, starts_on, ends_on)| {
                Some(Span {
                    change,
                    starts_on: iso_day(starts_on)?,
                    ends_on: match ends_on {
                        Some(day) => Some(iso_day(day)?),
                        None => None,
                    },
                })
            })
            .collect()
    }

    /// Whether the span starts after `day` or ends on it or later.
    pub fn ahead_of(&self, day: NaiveDate) -> bool {
        self.starts_on > day || self.ends_on.is_some_and(|e| e >= day)
    }

    pub fn covers(&self, day: NaiveDate) -> bool {
        self.starts_on <= day && self.ends_on.is_none_or(|end| end >= day)
    }
}

/// A day written `YYYY-MM-DD` (as chrono writes it), or `None`.
fn iso_day(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |digits: &[u8]| {
        digits.iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(number(&b[0..4])?).ok()?;
    NaiveDate::from_ymd_opt(year, number(&b[5..7])?, number(&b[8..10])?)
}

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

/// A day on which fewer licenses would be owned than users counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shortfall {
    pub day: NaiveDate,
    pub owned: i64,
    pub counted: i64,
}

/// What an order does to the licenses owned, in figures: the days it
/// covers (`from`, and `until` for temporary licenses), the figure on
/// those days, and after them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Effect {
    pub kind: OrderKind,
    pub quantity: i64,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub during: i64,
    pub after: i64,
}

impl Effect {
    /// The effect of `span`, an order's row, over the account's `spans`
    /// (`span` among them once approved, added here while pending).
    pub fn of(
        spans: &[Span],
        span: Span,
        kind: OrderKind,
        quantity: i64,
        counted_in: bool,
    ) -> Effect {
        let mut all = spans.to_vec();
        if !counted_in {
            all.push(span);
        }
        let during = owned_on(&all, span.starts_on);
        let after = span
            .ends_on
            .and_then(|end| end.succ_opt())
            .map_or(during, |day| owned_on(&all, day));
        Effect {
            kind,
            quantity,
            from: span.starts_on,
            until: span.ends_on,
            during,
            after,
        }
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

/// Licenses owned on `day`: the sum of the changes that cover it.
pub fn owned_on(spans: &[Span], day: NaiveDate) -> i64 {
    spans
        .iter()
        .filter(|s| s.covers(day))
        .map(|s| s.change)
        .sum()
}

/// Licenses owned on `day` if the ledger reaches back to it: `None` for
/// a day before its first row.
pub fn owned_on_recorded(spans: &[Span], day: NaiveDate) -> Option<i64> {
    let first = spans.iter().map(|s| s.starts_on).min()?;
    (first <= day).then(|| owned_on(spans, day))
}

/// The figure on `from`, then on each later day on which it may change
/// (a row's first day, or the day after its last): `(day, figure)`, in
/// order. One sort of the rows' edges, however many days they span: the
/// only days a question "on any day from `from` on" needs to ask about.
pub fn figures_from(spans: &[Span], from: NaiveDate) -> Vec<(NaiveDate, i64)> {
    let edges = edges(spans);
    let split = edges.partition_point(|&(day, _)| day <= from);
    let figure: i64 = edges[..split].iter().map(|&(_, change)| change).sum();
    steps(from, figure, &edges[split..])
}

/// Each row's edges, in order: `+change` on its first day, `-change` on
/// the day after its last.
fn edges(spans: &[Span]) -> Vec<(NaiveDate, i64)> {
    let mut edges: Vec<(NaiveDate, i64)> = spans
        .iter()
        .flat_map(|s| {
            std::iter::once((s.starts_on, s.change))
                .chain(s.ends_on.and_then(|e| e.succ_opt()).map(|d| (d, -s.change)))
        })
        .collect();
    edges.sort_unstable_by_key(|&(day, _)| day);
    edges
}

/// `(from, figure)`, then the figure from each day of the `later` edges.
fn steps(from: NaiveDate, mut figure: i64, later: &[(NaiveDate, i64)]) -> Vec<(NaiveDate, i64)> {
    let mut out = vec![(from, figure)];
    for &(day, change) in later {
        figure += change;
        match out.last_mut() {
            Some(last) if last.0 == day => last.1 = figure,
            _ => out.push((day, figure)),
        }
    }
    out
}

/// The first day from `from` on whose licenses owned fall below the users
/// counted then as forecast (from `from`'s count and the end dates from
/// `from` on), or below 0. The users counted only fall as end dates pass,
/// so only `from` and the days the licenses change can be the first.
pub fn first_short(
    spans: &[Span],
    from: NaiveDate,
    counted_from: i64,
    end_dates: &[(NaiveDate, i64)],
) -> Option<Shortfall> {
    figures_from(spans, from)
        .into_iter()
        .find_map(|(day, owned)| {
            let counted = super::report::counted_on(from, counted_from, end_dates, day);
            (owned < counted || owned < 0).then_some(Shortfall {
                day,
                owned,
                counted,
            })
        })
}

/// The licenses owned from each day the figure takes a new value:
/// `(first day, figure)`, oldest first. A day on which rows start and end
/// with no net change is left out.
pub fn timeline(spans: &[Span]) -> Vec<(NaiveDate, i64)> {
    let Some(first) = spans.iter().map(|s| s.starts_on).min() else {
        return Vec::new();
    };
    let mut out: Vec<(NaiveDate, i64)> = Vec::new();
    for (day, figure) in figures_from(spans, first) {
        if out.last().is_none_or(|&(_, last)| last != figure) {
            out.push((day, figure));
        }
    }
    out
}

/// The coming changes after `today`: each future day the figure takes a
/// new value, with the figure before and from it.
pub fn coming(spans: &[Span], today: NaiveDate) -> Vec<(NaiveDate, i64, i64)> {
    coming_from(owned_on(spans, today), spans, today)
}

/// The coming changes after `today` from today's figure and the rows with
/// an edge after today (`spans` may leave out every row that has none).
pub fn coming_from(
    today_figure: i64,
    spans: &[Span],
    today: NaiveDate,
) -> Vec<(NaiveDate, i64, i64)> {
    let edges = edges(spans);
    let split = edges.partition_point(|&(day, _)| day <= today);
    let figures = steps(today, today_figure, &edges[split..]);
    let mut before = figures[0].1;
    let mut out = Vec::new();
    for &(day, after) in &figures[1..] {
        if after != before {
            out.push((day, before, after));
            before = after;
        }
    }
    out
}

/// How many days before temporary licenses end the portal says so.
pub const NOTICE_DAYS: i64 = 14;

/// The coming days, up to the day after a last day `notice` days ahead,
/// on which rows end and the figure drops: `(day, figure from it)`.
pub fn endings_within(
    coming: &[(NaiveDate, i64, i64)],
    ahead: &[Span],
    today: NaiveDate,
    notice: i64,
) -> Vec<(NaiveDate, i64)> {
    coming
        .iter()
        .take_while(|(day, _, _)| (*day - today).num_days() <= notice + 1)
        .filter(|&&(day, before, after)| {
            after < before
                && ahead
                    .iter()
                    .any(|s| s.ends_on.and_then(|e| e.succ_opt()) == Some(day))
        })
        .map(|&(day, _, after)| (day, after))
        .collect()
}

/// The last day from `today` on that today's figure holds: the day before
/// the next change, `None` when none is coming.
pub fn holds_until(spans: &[Span], today: NaiveDate) -> Option<NaiveDate> {
    coming(spans, today)
        .first()
        .and_then(|&(day, _, _)| day.pred_opt())
}

/// The first day from `from` on whose figure lies outside `low..=high`,
/// with that figure.
pub fn first_out_of_bounds(
    spans: &[Span],
    from: NaiveDate,
    low: i64,
    high: i64,
) -> Option<(NaiveDate, i64)> {
    figures_from(spans, from)
        .into_iter()
        .find(|&(_, figure)| figure < low || figure > high)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_read_back_as_they_were_kept_and_other_text_is_refused() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("day");
        let spans = vec![
            Span {
                change: 30,
                starts_on: d(2027, 6, 1),
                ends_on: Some(d(2027, 8, 31)),
            },
            Span {
                change: -5,
                starts_on: d(2028, 2, 29),
                ends_on: None,
            },
        ];
        assert_eq!(Span::decode(&Span::encode(&spans)), Some(spans));
        for bad in [
            "",
            "[[1,\"2027-13-01\",null]]",
            "[[1,\"2027-02-30\",null]]",
            "[[1,\"2027-6-01\",null]]",
            "[[1,\"27-06-01x\",null]]",
            "[[1,\"2027-06-01\",\"+27-06-1\"]]",
        ] {
            assert_eq!(Span::decode(bad), None, "{bad}");
        }
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn span(change: i64, from: &str, until: Option<&str>) -> Span {
        Span {
            change,
            starts_on: d(from),
            ends_on: until.map(d),
        }
    }

    #[test]
    fn a_season_counts_on_its_days_both_ends_included() {
        let spans = [
            span(20, "2027-01-01", None),
            span(30, "2027-06-01", Some("2027-08-31")),
        ];
        assert_eq!(owned_on(&spans, d("2026-12-31")), 0);
        assert_eq!(owned_on(&spans, d("2027-05-31")), 20);
        assert_eq!(owned_on(&spans, d("2027-06-01")), 50);
        assert_eq!(owned_on(&spans, d("2027-08-31")), 50);
        assert_eq!(owned_on(&spans, d("2027-09-01")), 20);
        assert_eq!(
            timeline(&spans),
            vec![
                (d("2027-01-01"), 20),
                (d("2027-06-01"), 50),
                (d("2027-09-01"), 20)
            ]
        );
        assert_eq!(
            coming(&spans, d("2027-03-01")),
            vec![(d("2027-06-01"), 20, 50), (d("2027-09-01"), 50, 20)]
        );
        assert_eq!(holds_until(&spans, d("2027-03-01")), Some(d("2027-05-31")));
        assert_eq!(holds_until(&spans, d("2027-09-01")), None);
    }

    #[test]
    fn a_day_with_no_net_change_is_no_step() {
        let spans = [
            span(10, "2027-01-01", None),
            span(5, "2027-01-01", Some("2027-01-31")),
            span(5, "2027-02-01", None),
        ];
        assert_eq!(timeline(&spans), vec![(d("2027-01-01"), 15)]);
        assert_eq!(holds_until(&spans, d("2027-01-10")), None);
    }

    #[test]
    fn the_first_day_out_of_bounds_is_named() {
        let spans = [
            span(10, "2027-01-01", None),
            span(-8, "2027-03-01", None),
            span(-5, "2027-04-01", Some("2027-04-30")),
        ];
        assert_eq!(
            first_out_of_bounds(&spans, d("2027-02-01"), 0, 100),
            Some((d("2027-04-01"), -3))
        );
        assert_eq!(
            first_out_of_bounds(&spans, d("2027-02-01"), 5, 100),
            Some((d("2027-03-01"), 2))
        );
        assert_eq!(first_out_of_bounds(&spans, d("2027-05-01"), 0, 100), None);
        assert_eq!(
            first_out_of_bounds(&spans, d("2027-02-01"), 0, 9),
            Some((d("2027-02-01"), 10))
        );
    }

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

    #[test]
    fn a_pending_season_and_an_approved_one_read_the_same() {
        let base = [span(20, "2027-01-01", None)];
        let season = span(30, "2027-06-01", Some("2027-08-31"));
        let pending = Effect::of(&base, season, OrderKind::Add, 30, false);
        assert_eq!((pending.during, pending.after), (50, 20));
        let approved = Effect::of(&[base[0], season], season, OrderKind::Add, 30, true);
        assert_eq!(pending, approved);
        let fewer = Effect::of(
            &base,
            span(-5, "2027-02-01", None),
            OrderKind::Reduce,
            5,
            false,
        );
        assert_eq!((fewer.during, fewer.after), (15, 15));
    }

    #[test]
    fn the_first_short_day_counts_users_leaving_before_it() {
        let spans = [span(10, "2027-01-01", None), span(-4, "2027-03-01", None)];
        let from = d("2027-02-01");
        // Two of eight leave on 20 February: six counted on 1 March, six owned.
        assert_eq!(first_short(&spans, from, 8, &[(d("2027-02-20"), 2)]), None);
        // They leave on 5 March instead: eight counted on 1 March.
        assert_eq!(
            first_short(&spans, from, 8, &[(d("2027-03-05"), 2)]),
            Some(Shortfall {
                day: d("2027-03-01"),
                owned: 6,
                counted: 8
            })
        );
        // Short from the first day already.
        assert_eq!(
            first_short(&spans, from, 11, &[]).map(|s| s.day),
            Some(from)
        );
    }

    #[test]
    fn the_sweep_gives_each_days_sum_of_the_rows_covering_it() {
        let spans = [
            span(10, "2027-01-01", None),
            span(5, "2027-01-05", Some("2027-01-09")),
            span(-3, "2027-01-07", Some("2027-01-07")),
            span(2, "2027-01-10", None),
        ];
        let from = d("2027-01-03");
        let figures = figures_from(&spans, from);
        for offset in 0..20 {
            let day = from + chrono::Duration::days(offset);
            let swept = figures
                .iter()
                .rev()
                .find(|(d, _)| *d <= day)
                .map(|&(_, f)| f);
            assert_eq!(swept, Some(owned_on(&spans, day)), "{day}");
        }
    }

    #[test]
    fn coming_changes_need_only_the_rows_with_an_edge_ahead() {
        let past = span(10, "2026-01-01", None);
        let ahead = [
            span(5, "2027-01-05", Some("2027-01-09")),
            span(-2, "2026-12-01", Some("2027-01-20")),
        ];
        let all = [past, ahead[0], ahead[1]];
        let today = d("2027-01-01");
        assert_eq!(
            coming_from(owned_on(&all, today), &ahead, today),
            coming(&all, today)
        );
        assert_eq!(
            coming(&all, today),
            vec![
                (d("2027-01-05"), 8, 13),
                (d("2027-01-10"), 13, 8),
                (d("2027-01-21"), 8, 10)
            ]
        );
    }

    #[test]
    fn every_kind_reads_back() {
        for k in LedgerKind::ALL {
            assert_eq!(LedgerKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(LedgerKind::parse("refund"), None);
    }
}
