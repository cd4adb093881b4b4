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

/// What the form's script needs to work the cost out as it is typed
/// (`static/cost.js`): the account's price and renewal, the reader's
/// language, and the labels with `{days}` for the number of days.
pub struct CostScript {
    pub price: i64,
    pub currency: String,
    pub lang: &'static str,
    pub renews: String,
    pub today: String,
    pub kind: &'static str,
    pub max: i64,
    pub label_period: String,
    pub label_renewal: String,
}

impl CostScript {
    /// For an account with prices.
    pub fn of(
        lang: Lang,
        account: &Account,
        kind: OrderKind,
        max: i64,
        today: NaiveDate,
    ) -> Option<CostScript> {
        let (price, currency) = account.price()?;
        let with_days =
            |temporary: bool| lang.cost_label(kind, temporary, account.renews_on, "{days}");
        Some(CostScript {
            price,
            currency: currency.to_string(),
            lang: lang.code(),
            renews: account.renews_on.map(|d| d.to_string()).unwrap_or_default(),
            today: today.to_string(),
            kind: kind.as_str(),
            max,
            label_period: with_days(true),
            label_renewal: with_days(false),
        })
    }
}

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
        let monthly = money::monthly_minor(price, quantity);
        // The run's cost only for days that could be ordered.
        let period = match kind {
            OrderKind::Add => Period::parse_add(starts_on, ends_on, today),
            OrderKind::Reduce => Period::parse_reduce(starts_on, "", today),
        };
        let cost = period.ok().and_then(|period| {
            let first = period.starts_on.unwrap_or(today);
            let minor = money::order_cost(
                Some(price),
                account.renews_on,
                quantity,
                period.starts_on,
                period.ends_on,
                today,
            )?;
            let days = money::cost_days(first, period.ends_on, account.renews_on).unwrap_or(0);
            let what = lang.cost_label(
                kind,
                period.ends_on.is_some(),
                account.renews_on,
                &lang.num(days),
            );
            Some((minor, lang.money(minor, currency), what))
        });
        Some(CostView {
            monthly,
            monthly_text: lang.money(monthly, currency),
            cost,
        })
    }
}
