//! Licenses over time (SPEC 12): the rule of the ledger, without a
//! database. Licenses owned on a day are the sum of the changes whose
//! period covers it; the figure changes only on a row's first day or on
//! the day after its last.

use chrono::NaiveDate;

use super::orders::OrderKind;

mod figures;
mod period;
pub use figures::*;
pub use period::{first_of_next_month, Period};

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

    pub(super) fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    pub(super) fn span(change: i64, from: &str, until: Option<&str>) -> Span {
        Span {
            change,
            starts_on: d(from),
            ends_on: until.map(d),
        }
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
    fn every_kind_reads_back() {
        for k in LedgerKind::ALL {
            assert_eq!(LedgerKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(LedgerKind::parse("refund"), None);
    }
}
