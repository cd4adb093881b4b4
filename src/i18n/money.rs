//! Amounts of money (SPEC 15) as each language writes them, from whole
//! hundredths: `SEK 1,335.00` in English, `1 335,00 SEK` in Swedish (a
//! no-break space between the groups and before the currency).

use super::Lang;

impl Lang {
    /// `minor` hundredths of `currency`.
    pub fn money(self, minor: i64, currency: &str) -> String {
        let whole = self.num(minor / 100);
        let cents = (minor % 100).unsigned_abs();
        // A negative amount below one whole unit keeps its sign.
        let sign = if minor < 0 && minor > -100 {
            "\u{2212}"
        } else {
            ""
        };
        match self {
            Lang::En => format!("{currency}\u{a0}{sign}{whole}.{cents:02}"),
            Lang::Sv => format!("{sign}{whole},{cents:02}\u{a0}{currency}"),
        }
    }
}

impl Lang {
    /// What `#order-cost` is for: the period of temporary licenses, or the
    /// run up to the renewal (a reduction's saving over it).
    pub fn cost_label(
        self,
        kind: crate::domain::orders::OrderKind,
        temporary: bool,
        renews_on: Option<chrono::NaiveDate>,
        days: &str,
    ) -> String {
        use crate::domain::orders::OrderKind;
        let renewal = renews_on.map(|d| self.long_date(d)).unwrap_or_default();
        match (self, kind, temporary) {
            (Lang::En, OrderKind::Reduce, _) => {
                format!("Saves until the renewal on {renewal} ({days} days)")
            }
            (Lang::En, OrderKind::Add, true) => format!("Cost of the period ({days} days)"),
            (Lang::En, OrderKind::Add, false) => {
                format!("Cost until the renewal on {renewal} ({days} days)")
            }
            (Lang::Sv, OrderKind::Reduce, _) => {
                format!("Sparar till förnyelsen {renewal} ({days} dagar)")
            }
            (Lang::Sv, OrderKind::Add, true) => format!("Kostnad för perioden ({days} dagar)"),
            (Lang::Sv, OrderKind::Add, false) => {
                format!("Kostnad till förnyelsen {renewal} ({days} dagar)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_for_the_readers_language() {
        assert_eq!(Lang::En.money(133_500, "SEK"), "SEK\u{a0}1,335.00");
        assert_eq!(Lang::Sv.money(133_500, "SEK"), "1\u{a0}335,00\u{a0}SEK");
        assert_eq!(Lang::En.money(5, "EUR"), "EUR\u{a0}0.05");
        assert_eq!(
            Lang::Sv.money(123_456_789, "NOK"),
            "1\u{a0}234\u{a0}567,89\u{a0}NOK"
        );
        assert_eq!(Lang::En.money(0, "USD"), "USD\u{a0}0.00");
        assert_eq!(Lang::En.money(-50, "USD"), "USD\u{a0}\u{2212}0.50");
        assert_eq!(Lang::En.money(-150, "USD"), "USD\u{a0}\u{2212}1.50");
    }
}
