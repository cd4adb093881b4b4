//! The active-user report's rules: the forecast from end dates, the chart's
//! geometry, and CSV cells that spreadsheets will not run.

use std::borrow::Cow;

use chrono::{Days, NaiveDate};

/// How far the forecast and the history reach, in days.
pub const HORIZON_DAYS: u64 = 90;

/// Counted users on each day from `today` to `today + HORIZON_DAYS`, given
/// today's count and how many counted users end on each date (a user whose
/// end date is D is counted on D and not after).
pub fn forecast(
    today: NaiveDate,
    counted_today: i64,
    end_dates: &[(NaiveDate, i64)],
) -> Vec<(NaiveDate, i64)> {
    let mut out = Vec::with_capacity(HORIZON_DAYS as usize + 1);
    for offset in 0..=HORIZON_DAYS {
        let Some(day) = today.checked_add_days(Days::new(offset)) else {
            break;
        };
        out.push((day, counted_on(today, counted_today, end_dates, day)));
    }
    out
}

/// Users counted on `day` (not before `from`) as forecast from `from`'s
/// count and how many counted users end on each date: a user whose end
/// date is D is counted on D and not after.
pub fn counted_on(
    from: NaiveDate,
    counted_from: i64,
    end_dates: &[(NaiveDate, i64)],
    day: NaiveDate,
) -> i64 {
    let gone: i64 = end_dates
        .iter()
        .filter(|(end, _)| *end < day && *end >= from)
        .map(|(_, n)| n)
        .sum();
    counted_from - gone
}

/// The days on which licenses free up (the day after an end date), with how many.
pub fn frees_up(end_dates: &[(NaiveDate, i64)]) -> Vec<(NaiveDate, i64)> {
    end_dates
        .iter()
        .filter_map(|(end, n)| end.succ_opt().map(|d| (d, *n)))
        .collect()
}

/// A unit's line in the report's table by unit: its name (`None`: no
/// unit) and its counted users.
pub type UnitLine = (Option<String>, i64);

/// Count users by unit, the table's order (`sort_units`, by count).
pub fn count_by_unit<'a>(units: impl IntoIterator<Item = Option<&'a str>>) -> Vec<UnitLine> {
    let mut counts: std::collections::HashMap<Option<&str>, i64> = Default::default();
    for unit in units {
        *counts.entry(unit).or_default() += 1;
    }
    let mut lines: Vec<UnitLine> = counts
        .into_iter()
        .map(|(unit, n)| (unit.map(str::to_string), n))
        .collect();
    sort_units(&mut lines, UnitOrder::Count);
    lines
}

/// How the table by unit is sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnitOrder {
    /// Most counted users first, then by name.
    Count,
    /// By name.
    Name,
}

/// Sort units; "no unit" comes after every named unit of its count (by
/// count) or last (by name).
pub fn sort_units(lines: &mut [UnitLine], order: UnitOrder) {
    let by_name = |a: &UnitLine, b: &UnitLine| {
        (a.0.is_none(), a.0.as_deref()).cmp(&(b.0.is_none(), b.0.as_deref()))
    };
    match order {
        UnitOrder::Count => lines.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| by_name(a, b))),
        UnitOrder::Name => lines.sort_by(by_name),
    }
}

/// The units whose name holds `find` (any case; "" keeps all; "no unit"
/// only then).
pub fn find_units(lines: Vec<UnitLine>, find: &str) -> Vec<UnitLine> {
    let find = find.trim().to_lowercase();
    if find.is_empty() {
        return lines;
    }
    lines
        .into_iter()
        .filter(|(u, _)| u.as_ref().is_some_and(|u| u.to_lowercase().contains(&find)))
        .collect()
}

/// A cell starting with `=`, `+`, `-` or `@` gets a leading `'`.
pub fn csv_safe(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A chart in a fixed view box: points as SVG `points` strings.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chart {
    pub width: i64,
    pub height: i64,
    pub history: String,
    pub licenses: String,
    pub forecast: String,
    pub y_max: i64,
    /// x of "today"
    pub today_x: i64,
    pub top: i64,
    pub bottom: i64,
    pub left: i64,
    pub right: i64,
}

/// Lay out history (day, users, licenses) and forecast (day, users) on
/// one time axis from `today - HORIZON` to `today + HORIZON`; the
/// licenses step from today's figure on each coming (day, figure).
pub fn chart(
    today: NaiveDate,
    history: &[(NaiveDate, i64, i64)],
    licenses_now: i64,
    coming: &[(NaiveDate, i64)],
    forecast: &[(NaiveDate, i64)],
) -> Chart {
    let (width, height, left, right, top, bottom) = (720i64, 260i64, 48i64, 710i64, 12i64, 230i64);
    let horizon = HORIZON_DAYS as i64;
    let start = today - chrono::Duration::days(horizon);
    let end = today + chrono::Duration::days(horizon);
    let max_value = history
        .iter()
        .flat_map(|(_, u, l)| [*u, *l])
        .chain(forecast.iter().map(|(_, u)| *u))
        .chain(coming.iter().filter(|(d, _)| *d <= end).map(|(_, l)| *l))
        .chain([licenses_now, 1])
        .max()
        .unwrap_or(1);
    let y_max = nice_ceiling(max_value + max_value / 10 + 1);
    let x = |d: NaiveDate| {
        left + ((d - start).num_days().clamp(0, 2 * horizon) * (right - left)) / (2 * horizon)
    };
    let y = |v: i64| bottom - (v.clamp(0, y_max) * (bottom - top)) / y_max;
    let join = |points: Vec<(i64, i64)>| {
        points
            .iter()
            .map(|(a, b)| format!("{a},{b}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut licenses: Vec<(i64, i64)> = history.iter().map(|(d, _, l)| (x(*d), y(*l))).collect();
    licenses.push((x(today), y(licenses_now)));
    let mut figure = licenses_now;
    for &(day, next) in coming.iter().filter(|(d, _)| *d > today && *d <= end) {
        licenses.push((x(day), y(figure)));
        licenses.push((x(day), y(next)));
        figure = next;
    }
    licenses.push((right, y(figure)));
    Chart {
        width,
        height,
        history: join(history.iter().map(|(d, u, _)| (x(*d), y(*u))).collect()),
        licenses: join(licenses),
        forecast: join(forecast.iter().map(|(d, u)| (x(*d), y(*u))).collect()),
        y_max,
        today_x: x(today),
        top,
        bottom,
        left,
        right,
    }
}

/// 1, 2 or 5 times a power of ten, at least `n`.
fn nice_ceiling(n: i64) -> i64 {
    let mut base = 1i64;
    loop {
        for m in [1, 2, 5] {
            if base.saturating_mul(m) >= n {
                return base.saturating_mul(m);
            }
        }
        base = base.saturating_mul(10);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_counted_and_sorted_by_count_then_name_no_unit_after_its_peers() {
        let users = [
            Some("B"),
            None,
            Some("A"),
            Some("B"),
            Some("C"),
            None,
            Some("C"),
            Some("C"),
        ];
        let lines = count_by_unit(users);
        let expected: Vec<UnitLine> = vec![
            (Some("C".into()), 3),
            (Some("B".into()), 2),
            (None, 2),
            (Some("A".into()), 1),
        ];
        assert_eq!(lines, expected);
        let mut by_name = lines.clone();
        sort_units(&mut by_name, UnitOrder::Name);
        let names: Vec<Option<&str>> = by_name.iter().map(|l| l.0.as_deref()).collect();
        assert_eq!(names, [Some("A"), Some("B"), Some("C"), None]);
        assert_eq!(find_units(lines.clone(), "c").len(), 1);
        assert_eq!(find_units(lines, " ").len(), 4);
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn the_forecast_drops_a_user_the_day_after_the_end_date() {
        let today = d("2026-11-28");
        let f = forecast(today, 10, &[(d("2026-11-28"), 1), (d("2026-12-10"), 2)]);
        assert_eq!(f.len(), 91);
        assert_eq!(f[0], (today, 10));
        assert_eq!(f[1], (d("2026-11-29"), 9));
        assert_eq!(
            f.iter()
                .find(|(day, _)| *day == d("2026-12-10"))
                .map(|x| x.1),
            Some(9)
        );
        assert_eq!(
            f.iter()
                .find(|(day, _)| *day == d("2026-12-11"))
                .map(|x| x.1),
            Some(7)
        );
        assert_eq!(
            frees_up(&[(d("2026-12-10"), 2)]),
            vec![(d("2026-12-11"), 2)]
        );
    }

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=1+1", "+46 70", "-3", "@SUM(A1)"] {
            assert_eq!(csv_safe(bad), format!("'{bad}"));
        }
        assert_eq!(csv_safe("Anna"), "Anna");
        assert_eq!(csv_safe(""), "");
    }

    #[test]
    fn the_chart_fits_its_box() {
        let today = d("2026-11-28");
        let c = chart(
            today,
            &[(d("2026-11-01"), 5, 10)],
            10,
            &[],
            &[(today, 5), (d("2027-02-26"), 3)],
        );
        assert_eq!(c.y_max, 20);
        assert!(c
            .history
            .starts_with(&format!("{},", c.left + (63 * (c.right - c.left)) / 180)));
        assert!(c.forecast.ends_with(&format!(
            "{},{}",
            c.right,
            c.bottom - 3 * (c.bottom - c.top) / 20
        )));
        // The licenses step on each coming day within the horizon.
        let stepped = chart(
            today,
            &[],
            10,
            &[(d("2026-12-28"), 30), (d("2027-09-01"), 5)],
            &[],
        );
        assert_eq!(stepped.y_max, 50);
        let points: Vec<&str> = stepped.licenses.split(' ').collect();
        assert_eq!(points.len(), 4, "{points:?}");
        let x = |p: &str| p.split(',').next().map(str::to_string);
        assert_eq!(x(points[1]), x(points[2]), "a vertical step");
        assert_eq!(nice_ceiling(7), 10);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(21), 50);
    }
}
