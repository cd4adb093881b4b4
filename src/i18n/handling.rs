//! The sentences of faster handling (SPEC 13), in each language: the
//! rule, waiting times and the time decisions take.

use super::Lang;
use crate::domain::orders::Rule;

impl Lang {
    /// The Order Licenses tab's line while the account has a rule.
    pub fn rule_line(self, rule: Rule) -> String {
        let n = self.num(rule.max_quantity);
        match self {
            Lang::En => format!("Orders of up to {n} licenses are approved at once."),
            Lang::Sv => format!("Beställningar på upp till {n} licenser godkänns direkt."),
        }
    }

    /// The rule as staff read it on the account page.
    pub fn rule_state(self, rule: Rule) -> String {
        if !rule.is_on() {
            return match self {
                Lang::En => "No rule: every order waits for staff.".to_string(),
                Lang::Sv => "Ingen regel: varje beställning väntar på personalen.".to_string(),
            };
        }
        let (q, p) = (self.num(rule.max_quantity), self.num(rule.max_per_30_days));
        match self {
            Lang::En => format!(
                "Orders of up to {q} licenses are approved at once, up to {p} licenses in any 30 days."
            ),
            Lang::Sv => format!(
                "Beställningar på upp till {q} licenser godkänns direkt, högst {p} licenser under 30 dagar."
            ),
        }
    }

    /// What a rule's quantity may be, with the largest order allowed.
    pub fn rule_quantity_rule(self, max: i64) -> String {
        let max = self.num(max);
        match self {
            Lang::En => format!("Enter a whole number from 0 to {max}; 0 turns the rule off."),
            Lang::Sv => format!("Ange ett heltal från 0 till {max}; 0 stänger av regeln."),
        }
    }

    /// A waiting time, short: "45 min", "3 h", "2 d 4 h".
    pub fn waited(self, seconds: i64) -> String {
        let seconds = seconds.max(0);
        let (days, hours, minutes) = (
            seconds / 86_400,
            seconds % 86_400 / 3_600,
            seconds % 3_600 / 60,
        );
        let (d, h, m) = match self {
            Lang::En => ("d", "h", "min"),
            Lang::Sv => ("d", "tim", "min"),
        };
        match (days, hours) {
            (0, 0) => format!("{minutes} {m}"),
            (0, hours) => format!("{hours} {h}"),
            (days, 0) => format!("{days} {d}"),
            (days, hours) => format!("{days} {d} {hours} {h}"),
        }
    }

    /// A pending order's line: when it was placed and how long decisions
    /// take (the median of 90 days, or the SLA while there are too few).
    pub fn decisions_take(self, placed: &str, median: Option<i64>, sla_hours: i64) -> String {
        match (self, median) {
            (Lang::En, Some(s)) => format!(
                "Placed {placed} (UTC). Decisions usually take about {}.",
                self.duration_words(s)
            ),
            (Lang::Sv, Some(s)) => format!(
                "Lagd {placed} (UTC). Beslut tar oftast omkring {}.",
                self.duration_words(s)
            ),
            (Lang::En, None) => format!(
                "Placed {placed} (UTC). Orders are decided within {} hours.",
                self.num(sla_hours)
            ),
            (Lang::Sv, None) => format!(
                "Lagd {placed} (UTC). Beställningar avgörs inom {} timmar.",
                self.num(sla_hours)
            ),
        }
    }

    /// A duration in words, rounded: "10 minutes", "3 hours", "2 days".
    pub fn duration_words(self, seconds: i64) -> String {
        let minutes = (seconds.max(0) + 30) / 60;
        let (n, unit) = if minutes < 90 {
            (minutes.max(1), 0)
        } else if minutes < 36 * 60 {
            ((minutes + 30) / 60, 1)
        } else {
            ((minutes + 720) / 1440, 2)
        };
        let words = match self {
            Lang::En => [("minute", "minutes"), ("hour", "hours"), ("day", "days")],
            Lang::Sv => [("minut", "minuter"), ("timme", "timmar"), ("dag", "dagar")],
        };
        let (one, many) = words[unit];
        format!("{n} {}", if n == 1 { one } else { many })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_times_read_short_in_both_languages() {
        assert_eq!(Lang::En.waited(59 * 60), "59 min");
        assert_eq!(Lang::En.waited(3 * 3600 + 59), "3 h");
        assert_eq!(Lang::Sv.waited(2 * 86_400 + 4 * 3600), "2 d 4 tim");
        assert_eq!(Lang::En.waited(86_400), "1 d");
    }

    #[test]
    fn durations_round_to_their_unit() {
        assert_eq!(Lang::En.duration_words(10), "1 minute");
        assert_eq!(Lang::En.duration_words(89 * 60), "89 minutes");
        assert_eq!(Lang::En.duration_words(90 * 60), "2 hours");
        assert_eq!(Lang::Sv.duration_words(3600 * 3), "3 timmar");
        assert_eq!(Lang::En.duration_words(36 * 3600), "2 days");
        assert_eq!(Lang::Sv.duration_words(86_400 * 5), "5 dagar");
    }
}
