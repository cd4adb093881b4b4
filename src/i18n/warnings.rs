//! The sentences of warnings (SPEC 14), in each language: the overview's
//! notices while a warning holds.

use super::Lang;
use crate::domain::warnings::{ShortBecause, ShortDay};

impl Lang {
    /// `#notice-usage-threshold`: the users counted reach the threshold.
    pub fn usage_notice(self, counted: i64, owned: i64, threshold: i32) -> String {
        let percent = crate::domain::warnings::share_percent(counted, owned);
        let (counted, owned) = (self.num(counted), self.num(owned));
        match self {
            Lang::En => format!(
                "{counted} users are counted for {owned} licenses today: {percent} %, at or above your warning threshold of {threshold} %."
            ),
            Lang::Sv => format!(
                "{counted} användare räknas för {owned} licenser i dag: {percent} %, vid eller över er varningsgräns på {threshold} %."
            ),
        }
    }

    /// `#notice-forecast-short`: the first day ahead with too few licenses,
    /// and why.
    pub fn short_notice(self, s: &ShortDay) -> String {
        let day = self.long_date(s.short.day);
        let (owned, counted) = (self.num(s.short.owned), self.num(s.short.counted));
        let why = match (self, s.because) {
            (Lang::En, ShortBecause::TemporaryEnd { ending }) => {
                format!("{} temporary licenses end the day before", self.num(ending))
            }
            (Lang::En, ShortBecause::Reduction { by }) => {
                format!("a reduction of {} licenses takes effect", self.num(by))
            }
            (Lang::En, ShortBecause::Both { ending, by }) => format!(
                "{} temporary licenses end the day before and a reduction of {} takes effect",
                self.num(ending),
                self.num(by)
            ),
            (Lang::Sv, ShortBecause::TemporaryEnd { ending }) => {
                format!(
                    "{} tillfälliga licenser upphör dagen innan",
                    self.num(ending)
                )
            }
            (Lang::Sv, ShortBecause::Reduction { by }) => {
                format!("en minskning med {} licenser börjar gälla", self.num(by))
            }
            (Lang::Sv, ShortBecause::Both { ending, by }) => format!(
                "{} tillfälliga licenser upphör dagen innan och en minskning med {} börjar gälla",
                self.num(ending),
                self.num(by)
            ),
        };
        match self {
            Lang::En => format!(
                "From {day} you will own {owned} licenses for {counted} users counted as forecast ({why})."
            ),
            Lang::Sv => format!(
                "Från {day} äger ni {owned} licenser för {counted} användare som räknas enligt prognosen ({why})."
            ),
        }
    }
}
