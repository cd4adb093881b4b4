//! The sentences of licenses over time (SPEC 12), in each language: what
//! an order does, and why a change was refused.

use chrono::{Datelike, NaiveDate};

use super::Lang;
use crate::domain::ledger::{Effect, Shortfall};
use crate::domain::orders::{Clash, OrderKind};

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_SV: [&str; 12] = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
];

impl Lang {
    /// "1 June 2027" / "1 juni 2027".
    pub fn long_date(self, day: NaiveDate) -> String {
        use std::fmt::Write;
        let m = day.month0() as usize;
        let month = match self {
            Lang::En => MONTHS_EN[m],
            Lang::Sv => MONTHS_SV[m],
        };
        let mut out = String::with_capacity(month.len() + 8);
        let _ = write!(out, "{} {month} {}", day.day(), day.year());
        out
    }

    /// "Adds 30 licenses from 1 June 2027 to 31 August 2027: you will own
    /// 50 on those days and 20 after."
    pub fn order_effect(self, e: &Effect) -> String {
        let (n, from) = (self.num(e.quantity), self.long_date(e.from));
        let (during, after) = (self.num(e.during), self.num(e.after));
        match (self, e.kind, e.until) {
            (Lang::En, OrderKind::Add, Some(until)) => format!(
                "Adds {n} licenses from {from} to {}: you will own {during} on those days and {after} after.",
                self.long_date(until)
            ),
            (Lang::Sv, OrderKind::Add, Some(until)) => format!(
                "Lägger till {n} licenser från {from} till och med {}: ni äger {during} de dagarna och {after} efter.",
                self.long_date(until)
            ),
            (Lang::En, OrderKind::Add, None) => {
                format!("Adds {n} licenses for good from {from}: you will own {during} from then on.")
            }
            (Lang::Sv, OrderKind::Add, None) => {
                format!("Lägger till {n} licenser tills vidare från {from}: ni äger {during} från då.")
            }
            (Lang::En, OrderKind::Reduce, _) => {
                format!("Removes {n} licenses for good from {from}: you will own {during} from then on.")
            }
            (Lang::Sv, OrderKind::Reduce, _) => {
                format!("Tar bort {n} licenser tills vidare från {from}: ni äger {during} från då.")
            }
        }
    }

    /// The notice before temporary licenses end and leave too few.
    pub fn ending_notice(self, s: &Shortfall) -> String {
        let end = self.long_date(s.day.pred_opt().unwrap_or(s.day));
        let from = self.long_date(s.day);
        let (owned, counted) = (self.num(s.owned), self.num(s.counted));
        match self {
            Lang::En => format!(
                "Temporary licenses end on {end}: from {from} you will own {owned} licenses for {counted} users counted as forecast now. Order more, or clean up users, before then."
            ),
            Lang::Sv => format!(
                "Tillfälliga licenser upphör {end}: från {from} äger ni {owned} licenser för {counted} användare som räknas enligt prognosen nu. Beställ fler, eller rensa bland användarna, innan dess."
            ),
        }
    }

    /// The overview's link past its first coming changes.
    pub fn more_changes(self, n: usize) -> String {
        let n = self.num(i64::try_from(n).unwrap_or(i64::MAX));
        match self {
            Lang::En => format!("{n} more changes: every change on the Licenses tab"),
            Lang::Sv => format!("{n} ändringar till: alla ändringar under fliken Licenser"),
        }
    }

    /// Why a change of licenses was refused, in words.
    pub fn clash(self, clash: Clash) -> String {
        match (self, clash) {
            (Lang::En, Clash::PeriodPassed) => {
                "The period has passed: nothing was changed.".to_string()
            }
            (Lang::Sv, Clash::PeriodPassed) => {
                "Perioden har passerat: inget ändrades.".to_string()
            }
            (Lang::En, Clash::MessagesClosed) => {
                "Messages on this order closed 30 days after its decision: nothing was stored."
                    .to_string()
            }
            (Lang::Sv, Clash::MessagesClosed) => {
                "Meddelanden på beställningen stängdes 30 dagar efter beslutet: inget sparades."
                    .to_string()
            }
            (Lang::En, Clash::Short(Shortfall { day, owned, counted })) => format!(
                "On {} the account would own {} licenses for {} counted users: nothing was changed.",
                self.long_date(day),
                self.num(owned),
                self.num(counted)
            ),
            (Lang::Sv, Clash::Short(Shortfall { day, owned, counted })) => format!(
                "Den {} skulle kontot äga {} licenser för {} räknade användare: inget ändrades.",
                self.long_date(day),
                self.num(owned),
                self.num(counted)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_season_reads_as_the_spec_says() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let e = Effect {
            kind: OrderKind::Add,
            quantity: 30,
            from: d("2027-06-01"),
            until: Some(d("2027-08-31")),
            during: 50,
            after: 20,
        };
        assert_eq!(
            Lang::En.order_effect(&e),
            "Adds 30 licenses from 1 June 2027 to 31 August 2027: you will own 50 on those days and 20 after."
        );
        assert!(Lang::Sv.order_effect(&e).contains("1 juni 2027"));
    }
}
