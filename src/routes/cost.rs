//! What the licenses on the Order Licenses and Reduce pages cost (SPEC
//! 15), worked out from the fields as typed: shown without a script by a
//! `GET` that fills the form in, and by the form's "Show the cost" button.

use chrono::NaiveDate;

use crate::domain::ledger::Period;
use crate::domain::money;
use crate::domain::orders::OrderKind;
use crate::domain::validation;
use crate::i18n::Lang;
use crate::models::Account;

/// The price of what is typed: a month of it, and the run's cost (or a
/// reduction's saving), each in hundredths and in words.
pub struct CostView {
    pub monthly: i64,
    pub monthly_text: String,
    /// `#order-cost`: the amount, its words, and what it is for.
    pub cost: Option<(i64, String, String)>,
}

impl CostView {
    /// The cost of the fields as typed, when the account has prices and
    /// the quantity and days are ones that could be ordered.
    pub fn of(
        lang: Lang,
        account: &Account,
        kind: OrderKind,
        fields: (&str, &str, &str),
        max: i64,
        today: NaiveDate,
    ) -> Option<CostView> {
        let (price, currency) = account.price()?;
        let (quantity, starts_on, ends_on) = fields;
        let quantity = validation::parse_quantity(quantity, max).ok()?;
        let period = match kind {
            OrderKind::Add => Period::parse_add(starts_on, ends_on, today),
            OrderKind::Reduce => Period::parse_reduce(starts_on, "", today),
        }
        .ok()?;
        let first = period.starts_on.unwrap_or(today);
        let monthly = money::monthly_minor(price, quantity);
        let cost = money::order_cost(
            Some(price),
            account.renews_on,
            quantity,
            period.starts_on,
            period.ends_on,
            today,
        )
        .map(|minor| {
            let days = money::cost_days(first, period.ends_on, account.renews_on).unwrap_or(0);
            let what = lang.cost_label(kind, period.ends_on.is_some(), account.renews_on, days);
            (minor, lang.money(minor, currency), what)
        });
        Some(CostView {
            monthly,
            monthly_text: lang.money(monthly, currency),
            cost,
        })
    }
}
