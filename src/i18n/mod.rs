//! The message catalog: every word a reader sees that is not in a template
//! lives here, in English and Swedish. A missing message is a compile error:
//! each language is one value of the same struct.

mod catalog;
mod en;
mod flash;
mod handling;
mod ledger;
mod money;
mod sv;
mod warnings;
mod words;

pub use catalog::Msgs;
pub use en::EN;
pub use flash::Flash;
pub use sv::SV;

/// The languages the portal speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Sv,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Sv];

    /// The code used in `<html lang>`, the database and URLs.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Sv => "sv",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "sv" => Some(Lang::Sv),
            _ => None,
        }
    }

    /// The best language for an `Accept-Language` header (English otherwise).
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .map(|q| q.parse::<f32>().unwrap_or(0.0))
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "sv" => Some(Lang::Sv),
                "en" => Some(Lang::En),
                _ => None,
            };
            if let Some(lang) = lang {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }

    pub fn msgs(self) -> &'static Msgs {
        match self {
            Lang::En => &EN,
            Lang::Sv => &SV,
        }
    }

    /// "You owned X licenses; this order adds N, for X+N in all."
    pub fn order_summary(self, owned: i64, adds: i64) -> String {
        let total = owned.saturating_add(adds);
        match self {
            Lang::En => format!(
                "You owned {} licenses; this order adds {}, for {} in all.",
                self.num(owned),
                self.num(adds),
                self.num(total)
            ),
            Lang::Sv => format!(
                "Du ägde {} licenser; den här beställningen lägger till {}, totalt {}.",
                self.num(owned),
                self.num(adds),
                self.num(total)
            ),
        }
    }

    /// What is wrong with a field of an imported file or a synced user.
    pub fn import_problem(self, problem: &crate::domain::import::Problem) -> String {
        use crate::domain::import::{Problem::*, COLUMNS};
        let header = COLUMNS.join(",");
        match self {
            Lang::En => match problem {
                Unreadable(why) => format!("cannot be read as UTF-8 CSV ({why})"),
                MissingColumn => {
                    format!("missing column; the header must be {header}, optionally with unit")
                }
                UnknownColumn => {
                    format!("unknown or repeated column; the header must be {header}, optionally with unit")
                }
                WrongCellCount => "the row does not have one cell for each column".into(),
                Empty => "must not be empty".into(),
                TooLong => "is too long".into(),
                ControlCharacter => "contains a control character".into(),
                UnknownStatus(s) => format!("unknown status {s:?}; allowed: active, passive"),
                BadDate(s) => format!("{s:?} is not a date YYYY-MM-DD"),
                EndBeforeStart => "the end date is before the start date".into(),
                DuplicateEmployeeNumber(n) => {
                    format!("employee number {n:?} appears more than once")
                }
                NoRows => "the file has no rows".into(),
                NotText => "must be a string (end_date and unit may be null)".into(),
                NoUsers => "names no user; send every user of the account".into(),
            },
            Lang::Sv => match problem {
                // The CSV reader's own diagnostic is in English: left out.
                Unreadable(_) => "kan inte läsas som UTF-8-CSV".into(),
                MissingColumn => {
                    format!("en kolumn saknas; rubrikraden ska vara {header}, valfritt med unit")
                }
                UnknownColumn => {
                    format!("okänd eller upprepad kolumn; rubrikraden ska vara {header}, valfritt med unit")
                }
                WrongCellCount => "raden har inte en cell för varje kolumn".into(),
                Empty => "får inte vara tomt".into(),
                TooLong => "är för långt".into(),
                ControlCharacter => "innehåller ett styrtecken".into(),
                UnknownStatus(s) => {
                    format!("okänd status {s:?}; tillåtna värden: active, passive")
                }
                BadDate(s) => format!("{s:?} är inte ett datum på formen ÅÅÅÅ-MM-DD"),
                EndBeforeStart => "slutdatumet är före startdatumet".into(),
                DuplicateEmployeeNumber(n) => {
                    format!("anställningsnummer {n:?} förekommer mer än en gång")
                }
                NoRows => "filen har inga rader".into(),
                NotText => "måste vara text (end_date och unit får vara null)".into(),
                NoUsers => "innehåller inga användare; skicka alla användare i kontot".into(),
            },
        }
    }

    /// Where an imported file is wrong, and how: a line and a column, or a
    /// whole line (the parser's field names `row` and `header`).
    pub fn import_error(self, e: &crate::domain::import::ImportError) -> String {
        let what = self.import_problem(&e.problem);
        let line = e.line;
        match (self, e.field.as_str()) {
            (Lang::En, "row") => format!("line {line}: {what}"),
            (Lang::En, "header") => format!("line {line} (the header): {what}"),
            (Lang::En, field) => format!("line {line}, field {field}: {what}"),
            (Lang::Sv, "row") => format!("rad {line}: {what}"),
            (Lang::Sv, "header") => format!("rad {line} (rubrikraden): {what}"),
            (Lang::Sv, field) => format!("rad {line}, fält {field}: {what}"),
        }
    }

    /// Why a user is or is not counted, as a reader sees it.
    pub fn reason(self, reason: crate::domain::counting::CountReason) -> String {
        use crate::domain::counting::CountReason::*;
        match (self, reason) {
            (Lang::En, Counted) => "counted".into(),
            (Lang::En, CountedStartsOn(d)) => format!("counted, starts on {d}"),
            (Lang::En, Passive) => "not counted: passive".into(),
            (Lang::En, EndedOn(d)) => format!("not counted: ended on {d}"),
            (Lang::Sv, Counted) => "räknas".into(),
            (Lang::Sv, CountedStartsOn(d)) => format!("räknas, börjar {d}"),
            (Lang::Sv, Passive) => "räknas inte: passiv".into(),
            (Lang::Sv, EndedOn(d)) => format!("räknas inte: slutade {d}"),
        }
    }

    /// "On 2026-12-10, 2 licenses free up."
    pub fn frees_up_on(self, day: chrono::NaiveDate, n: i64) -> String {
        match self {
            Lang::En => format!(
                "On {day}, {} {} free up.",
                self.num(n),
                if n == 1 { "license" } else { "licenses" }
            ),
            Lang::Sv => format!(
                "Den {day} frigörs {} {}.",
                self.num(n),
                if n == 1 { "licens" } else { "licenser" }
            ),
        }
    }

    /// What the quantity field allows, with the maximum per order.
    pub fn quantity_rule(self, max: i64) -> String {
        match self {
            Lang::En => format!(
                "Enter a whole number from 1 to {}, digits 0-9 only.",
                self.num(max)
            ),
            Lang::Sv => format!(
                "Ange ett heltal från 1 till {}, endast siffrorna 0-9.",
                self.num(max)
            ),
        }
    }

    /// "Page 2 of 5".
    pub fn page_n_of(self, page: i64, pages: i64) -> String {
        match self {
            Lang::En => format!("Page {page} of {pages}"),
            Lang::Sv => format!("Sida {page} av {pages}"),
        }
    }

    /// "Page 2 of 5 (230 users)".
    pub fn page_of(self, page: i64, pages: i64, total: i64) -> String {
        match self {
            Lang::En => format!("Page {page} of {pages} ({} users)", self.num(total)),
            Lang::Sv => format!("Sida {page} av {pages} ({} användare)", self.num(total)),
        }
    }

    /// A whole number as this language writes it (10,000 / 10 000).
    /// Every page writes several, so it makes one string and no other.
    pub fn num(self, n: i64) -> String {
        let sep = match self {
            Lang::En => ",",
            Lang::Sv => "\u{a0}",
        };
        let mut digits = [0u8; 20];
        let mut len = 0;
        let mut rest = n.unsigned_abs();
        loop {
            digits[len] = b'0' + (rest % 10) as u8;
            len += 1;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let mut out = String::with_capacity(len + len / 3 * sep.len() + 3);
        if n < 0 {
            out.push('\u{2212}');
        }
        for i in (0..len).rev() {
            out.push(char::from(digits[i]));
            if i > 0 && i % 3 == 0 {
                out.push_str(sep);
            }
        }
        out
    }
}

/// An import's first bad place as the command line says it (in English).
impl std::fmt::Display for crate::domain::import::ImportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&Lang::En.import_error(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(Lang::from_accept_language(None), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("sv-SE,sv;q=0.9,en;q=0.8")),
            Lang::Sv
        );
        assert_eq!(
            Lang::from_accept_language(Some("de,en;q=0.5,sv;q=0.7")),
            Lang::Sv
        );
        assert_eq!(Lang::from_accept_language(Some("fr")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("sv;q=0")), Lang::En);
    }

    #[test]
    fn every_import_problem_is_said_in_both_languages_and_differently() {
        use crate::domain::import::{ImportError, Problem::*};
        let all = [
            Unreadable("x".into()),
            MissingColumn,
            UnknownColumn,
            WrongCellCount,
            Empty,
            TooLong,
            ControlCharacter,
            UnknownStatus("sleeping".into()),
            BadDate("2024-13-01".into()),
            EndBeforeStart,
            DuplicateEmployeeNumber("E1".into()),
            NoRows,
            NotText,
            NoUsers,
        ];
        let mut seen = std::collections::HashSet::new();
        for problem in &all {
            let (en, sv) = (
                Lang::En.import_problem(problem),
                Lang::Sv.import_problem(problem),
            );
            assert!(
                !en.trim().is_empty() && !sv.trim().is_empty(),
                "{problem:?}"
            );
            assert_ne!(en, sv, "{problem:?} is not Swedish");
            assert!(
                seen.insert(sv.clone()),
                "{problem:?} says what another says"
            );
        }
        assert!(
            !Lang::Sv
                .import_problem(&Unreadable("CSV parse error: invalid utf-8".into()))
                .contains("error"),
            "the CSV reader's English stays out of the Swedish"
        );
        let e = ImportError {
            line: 4,
            field: "status".into(),
            problem: UnknownStatus("sleeping".into()),
        };
        assert_eq!(
            e.to_string(),
            "line 4, field status: unknown status \"sleeping\"; allowed: active, passive"
        );
        assert_eq!(
            Lang::Sv.import_error(&e),
            "rad 4, fält status: okänd status \"sleeping\"; tillåtna värden: active, passive"
        );
        let whole = ImportError {
            line: 3,
            field: "row".into(),
            problem: WrongCellCount,
        };
        assert_eq!(
            whole.to_string(),
            "line 3: the row does not have one cell for each column"
        );
        assert_eq!(
            Lang::Sv.import_error(&whole),
            "rad 3: raden har inte en cell för varje kolumn"
        );
    }

    #[test]
    fn every_key_has_a_message_in_both_languages() {
        let en = EN.entries();
        let sv = SV.entries();
        assert_eq!(en.len(), sv.len());
        for ((key, english), (sv_key, swedish)) in en.iter().zip(sv.iter()) {
            assert_eq!(key, sv_key);
            assert!(!english.trim().is_empty(), "{key} has no English");
            assert!(!swedish.trim().is_empty(), "{key} has no Swedish");
        }
    }

    #[test]
    fn numbers_are_grouped_per_language() {
        assert_eq!(Lang::En.num(10000), "10,000");
        assert_eq!(Lang::Sv.num(1234567), "1\u{a0}234\u{a0}567");
        assert_eq!(Lang::En.num(-5), "\u{2212}5");
        assert_eq!(Lang::En.num(999), "999");
        assert_eq!(Lang::En.num(0), "0");
        assert_eq!(Lang::En.num(1000), "1,000");
        assert_eq!(Lang::En.num(-123_456), "\u{2212}123,456");
        assert_eq!(Lang::En.num(i64::MIN), "\u{2212}9,223,372,036,854,775,808");
    }
}
