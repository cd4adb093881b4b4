//! Money (SPEC 15): a price per license and month, and what licenses cost
//! over a run of days, as whole hundredths of the currency (`i64`) end to
//! end, never floating point. Amounts are written for the reader's
//! language by `i18n` (`Lang::money`).

use chrono::NaiveDate;

use super::validation::FieldError;

/// The highest price per license and month accepted, in hundredths
/// (1,000,000.00), so that no cost of an order can overflow.
pub const MAX_PRICE_MINOR: i64 = 100_000_000;

/// A price as typed: empty (no prices anywhere: `None`), or 0 or more with
/// at most two decimals after a `.` or a `,`; no sign, no thousands
/// separators. In hundredths.
pub fn parse_price(input: &str) -> Result<Option<i64>, FieldError> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let (whole, fraction) = match text.find(['.', ',']) {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty()
        || whole.len() > 9
        || !digits(whole)
        || fraction.len() > 2
        || !digits(fraction)
        || (text.len() > whole.len() && fraction.is_empty())
    {
        return Err(FieldError::Price);
    }
    let whole: i64 = whole.parse().map_err(|_| FieldError::Price)?;
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().map_err(|_| FieldError::Price)? * 10,
        _ => fraction.parse().map_err(|_| FieldError::Price)?,
    };
    let minor = whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(cents))
        .ok_or(FieldError::Price)?;
    if minor > MAX_PRICE_MINOR {
        return Err(FieldError::Price);
    }
    Ok(Some(minor))
}

/// A currency: three capital letters (ISO 4217's form).
pub fn parse_currency(input: &str) -> Result<String, FieldError> {
    let text = input.trim();
    if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(text.to_string())
    } else {
        Err(FieldError::Currency)
    }
}

/// The cost of `quantity` licenses over `days` days at `price_minor` per
/// license and month: price x N x d x 12 / 365, rounded half up to a whole
/// hundredth (exact in `i128`; a half cannot occur, 365 being odd).
/// Saturates at `i64::MAX` (no real price and run comes near it).
pub fn cost_minor(price_minor: i64, quantity: i64, days: i64) -> i64 {
    let numerator =
        i128::from(price_minor.max(0)) * i128::from(quantity.max(0)) * i128::from(days.max(0)) * 12;
    let rounded = (numerator * 2 + 365) / (2 * 365);
    i64::try_from(rounded).unwrap_or(i64::MAX)
}

/// What `quantity` licenses cost a month.
pub fn monthly_minor(price_minor: i64, quantity: i64) -> i64 {
    price_minor.max(0).saturating_mul(quantity.max(0))
}

/// Days from `first` to `last`, both counted (0 when `last` is before).
pub fn days_inclusive(first: NaiveDate, last: NaiveDate) -> i64 {
    ((last - first).num_days() + 1).max(0)
}

/// The run an order's cost is over (SPEC 15): temporary licenses, their
/// period; licenses for good or a reduction, from the first day to the day
/// before the renewal, when the renewal comes after the first day.
pub fn cost_days(
    first: NaiveDate,
    last: Option<NaiveDate>,
    renews_on: Option<NaiveDate>,
) -> Option<i64> {
    match (last, renews_on) {
        (Some(last), _) => Some(days_inclusive(first, last)),
        (None, Some(renews)) if renews > first => Some((renews - first).num_days()),
        (None, _) => None,
    }
}

/// The furthest renewal day accepted, in days from today (ten years).
pub const MAX_RENEWAL_DAYS: i64 = 3_653;

/// An account's agreement (SPEC 15), as staff set it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Agreement {
    /// Per license and month, in hundredths; `None`: no prices anywhere.
    pub price_minor: Option<i64>,
    pub currency: Option<String>,
    /// `monthly` or `annual`.
    pub billing: Option<String>,
    /// The next renewal day.
    pub renews_on: Option<NaiveDate>,
}

impl Agreement {
    /// The form's four fields: a price (empty: none) needs a currency; the
    /// billing empty, `monthly` or `annual`; the renewal day empty or a
    /// day from `today` on. Each wrong field is named.
    pub fn parse(
        price: &str,
        currency: &str,
        billing: &str,
        renews_on: &str,
        today: NaiveDate,
    ) -> Result<Agreement, Vec<(&'static str, FieldError)>> {
        let mut errors = Vec::new();
        let price_minor = parse_price(price).unwrap_or_else(|e| {
            errors.push(("price", e));
            None
        });
        let currency = match (currency.trim(), price_minor) {
            ("", None) => None,
            (text, _) => match parse_currency(text) {
                Ok(c) => Some(c),
                Err(e) => {
                    errors.push(("currency", e));
                    None
                }
            },
        };
        let billing = match billing.trim() {
            "" => None,
            word @ ("monthly" | "annual") => Some(word.to_string()),
            _ => {
                errors.push(("billing", FieldError::Billing));
                None
            }
        };
        let renews_on = match super::validation::parse_optional_date(renews_on) {
            Ok(Some(day)) if day < today || (day - today).num_days() > MAX_RENEWAL_DAYS => {
                errors.push(("renews_on", FieldError::RenewsOn));
                None
            }
            Ok(day) => day,
            Err(e) => {
                errors.push(("renews_on", e));
                None
            }
        };
        if errors.is_empty() {
            Ok(Agreement {
                price_minor,
                currency,
                billing,
                renews_on,
            })
        } else {
            Err(errors)
        }
    }
}

/// What an order costs (SPEC 15), in hundredths: temporary licenses over
/// their period; licenses for good from their first day (`today` when
/// none) to the day before the renewal; a reduction, what it saves over
/// that run. `None` without a price, or without a renewal after the first
/// day for licenses for good and reductions.
pub fn order_cost(
    price_minor: Option<i64>,
    renews_on: Option<NaiveDate>,
    quantity: i64,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Option<i64> {
    let price = price_minor?;
    let days = cost_days(starts_on.unwrap_or(today), ends_on, renews_on)?;
    Some(cost_minor(price, quantity, days))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn prices_take_a_point_or_a_comma_and_at_most_two_decimals() {
        assert_eq!(parse_price(""), Ok(None));
        assert_eq!(parse_price("  "), Ok(None));
        assert_eq!(parse_price("0"), Ok(Some(0)));
        assert_eq!(parse_price("89"), Ok(Some(8_900)));
        assert_eq!(parse_price("89.5"), Ok(Some(8_950)));
        assert_eq!(parse_price("89,50"), Ok(Some(8_950)));
        assert_eq!(parse_price(" 1335.05 "), Ok(Some(133_505)));
        assert_eq!(parse_price("1000000"), Ok(Some(MAX_PRICE_MINOR)));
        for bad in [
            "-1",
            "+1",
            "1.234",
            "1,2,3",
            "1.",
            ".5",
            "1 000",
            "1e3",
            "abc",
            "1000000.01",
            "99999999999",
        ] {
            assert_eq!(parse_price(bad), Err(FieldError::Price), "{bad}");
        }
    }

    #[test]
    fn the_agreement_form_names_each_wrong_field() {
        let today = d("2026-12-05");
        assert_eq!(
            Agreement::parse("89,50", "SEK", "annual", "2027-04-01", today),
            Ok(Agreement {
                price_minor: Some(8_950),
                currency: Some("SEK".into()),
                billing: Some("annual".into()),
                renews_on: Some(d("2027-04-01")),
            })
        );
        assert_eq!(
            Agreement::parse("", "", "", "", today),
            Ok(Agreement::default()),
            "no prices anywhere"
        );
        let fields = |r: Result<Agreement, Vec<(&'static str, FieldError)>>| {
            r.expect_err("refused")
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields(Agreement::parse("89", "", "", "", today)),
            ["currency"]
        );
        assert_eq!(
            fields(Agreement::parse("-1", "sek", "weekly", "2026-12-04", today)),
            ["price", "currency", "billing", "renews_on"]
        );
        assert_eq!(
            fields(Agreement::parse("1", "EUR", "", "01/02/2027", today)),
            ["renews_on"]
        );
        assert_eq!(
            fields(Agreement::parse("1", "EUR", "", "2036-12-06", today)),
            ["renews_on"],
            "more than ten years ahead"
        );
        assert!(Agreement::parse("1", "EUR", "", "2036-12-05", today).is_ok());
    }

    #[test]
    fn a_currency_is_three_capital_letters() {
        assert_eq!(parse_currency(" SEK "), Ok("SEK".to_string()));
        for bad in ["sek", "SE", "SEKR", "S3K", "", "ÅÄÖ"] {
            assert_eq!(parse_currency(bad), Err(FieldError::Currency), "{bad}");
        }
    }

    /// Hand-computed: price x N x d x 12 / 365, then rounded half up.
    #[test]
    fn the_cost_formula_against_hand_computed_amounts() {
        let table = [
            // (price, N, days, expected): the exact amount in the comment
            (8_900, 10, 365, 1_068_000), // a year: 12 months of 890.00 x 10
            (8_900, 10, 30, 87_781),     // 32,040,000 / 365 = 87,780.82
            (8_900, 1, 1, 293),          // 106,800 / 365 = 292.60
            (100, 1, 1, 3),              // 1,200 / 365 = 3.29
            (1, 1, 15, 0),               // 180 / 365 = 0.493: just below a half
            (1, 1, 16, 1),               // 192 / 365 = 0.526: just above a half
            (1, 3, 5, 0),                // 180 / 365 = 0.493
            (1, 1, 45, 1),               // 540 / 365 = 1.479: just below 1.5
            (1, 1, 46, 2),               // 552 / 365 = 1.512: just above 1.5
            (0, 500, 365, 0),            // a price of 0
            (12_345, 7, 92, 261_376),    // 95,402,160 / 365 = 261,375.78
        ];
        for (price, n, days, expected) in table {
            assert_eq!(
                cost_minor(price, n, days),
                expected,
                "{price} x {n} x {days}"
            );
        }
        assert_eq!(monthly_minor(8_900, 10), 89_000);
    }

    #[test]
    fn a_run_across_29_february_counts_that_day() {
        // 2028 is a leap year: 1 Feb to 31 Mar is 60 days.
        let days = days_inclusive(d("2028-02-01"), d("2028-03-31"));
        assert_eq!(days, 60);
        assert_eq!(cost_minor(10_000, 2, days), 39_452); // 14,400,000 / 365 = 39,452.05
        assert_eq!(days_inclusive(d("2027-02-01"), d("2027-03-31")), 59);
    }

    #[test]
    fn the_run_of_a_cost_is_the_period_or_up_to_the_renewal() {
        let first = d("2027-06-01");
        assert_eq!(cost_days(first, Some(d("2027-08-31")), None), Some(92));
        assert_eq!(cost_days(first, None, Some(d("2028-01-01"))), Some(214));
        assert_eq!(
            cost_days(first, None, Some(first)),
            None,
            "renewal not after"
        );
        assert_eq!(cost_days(first, None, None), None);
    }

    proptest! {
        /// The cost of a run equals the sum of the costs of its parts to
        /// within one hundredth per part.
        #[test]
        fn a_runs_cost_is_the_sum_of_its_parts_within_a_hundredth_each(
            price in 0i64..=MAX_PRICE_MINOR,
            n in 1i64..=10_000,
            parts in proptest::collection::vec(1i64..=400, 1..8),
        ) {
            let whole = cost_minor(price, n, parts.iter().sum());
            let sum: i64 = parts.iter().map(|d| cost_minor(price, n, *d)).sum();
            prop_assert!((whole - sum).abs() <= parts.len() as i64,
                "{whole} against {sum} over {parts:?}");
        }

        /// Rounding half up: the cost is within half a hundredth of the
        /// exact amount, and never below it by half or more.
        #[test]
        fn the_cost_is_the_exact_amount_rounded_half_up(
            price in 0i64..=MAX_PRICE_MINOR, n in 0i64..=10_000, days in 0i64..=3_660,
        ) {
            let exact = i128::from(price) * i128::from(n) * i128::from(days) * 12;
            let cost = i128::from(cost_minor(price, n, days));
            // |cost - exact / 365| <= 1/2, in whole numbers: |365 cost - exact| <= 182
            prop_assert!((cost * 365 - exact).abs() <= 182);
        }
    }
}
