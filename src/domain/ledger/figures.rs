//! Licenses owned day by day over a ledger's spans: the sum of the rows
//! covering a day, the days the figure changes, what is coming, and the
//! first day too few or out of bounds.

use chrono::NaiveDate;

use super::{Shortfall, Span};

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
            let counted = crate::domain::report::counted_on(from, counted_from, end_dates, day);
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
    use super::super::tests::{d, span};
    use super::*;

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
}
