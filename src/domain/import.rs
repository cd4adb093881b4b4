//! Reading a users CSV (SPEC section 5): the header
//! `employee_number,name,status,start_date,end_date` and optionally `unit`
//! (SPEC 14), all rows or none, and the first bad row named by line (the
//! header is line 1) and field.

use std::collections::HashSet;

use chrono::NaiveDate;

use super::counting::UserStatus;
use super::validation::parse_date;

/// The columns, in the order the CSV report writes them.
pub const COLUMNS: [&str; 5] = [
    "employee_number",
    "name",
    "status",
    "start_date",
    "end_date",
];

/// The optional column (and the sync's optional field) of a user's unit:
/// without it units are left as they are; an empty cell clears one.
pub const UNIT_COLUMN: &str = "unit";

/// Longest employee number and name accepted.
const MAX_EMPLOYEE_NUMBER_CHARS: usize = 64;
const MAX_NAME_CHARS: usize = 200;

/// One good row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow {
    pub line: u64,
    pub employee_number: String,
    pub name: String,
    pub status: UserStatus,
    pub start_date: NaiveDate,
    pub end_date: Option<NaiveDate>,
    /// The unit to set (`Some(None)` clears it); `None` leaves the unit as
    /// it is (a file without the column, a sync user without the field).
    pub unit: Option<Option<String>>,
}

/// What is wrong with a field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The file is not UTF-8 CSV.
    Unreadable(String),
    /// A column of the header is missing.
    MissingColumn,
    /// A column appears twice, or one we do not know.
    UnknownColumn,
    /// A row has more or fewer cells than the header.
    WrongCellCount,
    Empty,
    TooLong,
    ControlCharacter,
    UnknownStatus(String),
    BadDate(String),
    EndBeforeStart,
    DuplicateEmployeeNumber(String),
    /// The file has a header and no rows.
    NoRows,
    /// A value that is not text (in the API's JSON: a number, say).
    NotText,
    /// The API's sync names no user.
    NoUsers,
}

/// The first bad place in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    pub line: u64,
    pub field: String,
    pub problem: Problem,
}

// What is wrong is said by the message catalog (`Lang::import_problem`,
// `Lang::import_error`); `Display`, the command line's English, is there too.
impl std::error::Error for ImportError {}

fn err(line: u64, field: &str, problem: Problem) -> ImportError {
    ImportError {
        line,
        field: field.to_string(),
        problem,
    }
}

/// Line numbers as a text editor shows them (the first line is 1), for
/// byte offsets met in increasing order: `\n`, `\r\n` and a lone `\r` each
/// end a line, wherever they are (also inside a quoted cell). The csv
/// crate's own line count is one short after CRLF files, so the record's
/// byte offset is what we count from.
struct LineCounter<'a> {
    data: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(data: &'a [u8]) -> LineCounter<'a> {
        LineCounter {
            data,
            at: 0,
            line: 1,
        }
    }

    /// The line of the record the csv reader says starts at `offset` (not
    /// before the last one asked). The reader may put a record's start on
    /// the line end before it (the `\n` of a CRLF); a record never starts
    /// with a line end, so those are skipped first.
    fn line_at(&mut self, offset: u64) -> u64 {
        let mut end = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.data.len());
        while matches!(self.data.get(end), Some(b'\n' | b'\r')) {
            end += 1;
        }
        while self.at < end {
            match self.data[self.at] {
                b'\n' => self.line += 1,
                b'\r' if self.data.get(self.at + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
            self.at += 1;
        }
        self.line
    }
}

/// A cell's line breaks as single spaces.
fn one_line(text: &str) -> String {
    text.split(['\r', '\n'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The checks of one user, the same for a CSV row and a user of the API's
/// sync: it remembers the employee numbers it has seen, so a number twice
/// is refused.
#[derive(Default)]
pub struct Checker {
    seen: HashSet<String>,
}

impl Checker {
    /// Check one user's cells, in the order of `COLUMNS`; `None` is a cell
    /// that is not text (a JSON number, say). `at` is the CSV line or the
    /// API's index. `unit` is `None` where there is no unit to read (the
    /// column or field left out), `Some(None)` for a value that is not text.
    pub fn check(
        &mut self,
        at: u64,
        cells: [Option<&str>; 5],
        unit: Option<Option<&str>>,
    ) -> Result<ImportRow, ImportError> {
        let line = at;
        let mut text = [""; 5];
        for (col, cell) in cells.iter().enumerate() {
            text[col] = cell
                .ok_or_else(|| err(line, COLUMNS[col], Problem::NotText))?
                .trim();
        }
        let cell = |col: usize| text[col];
        let employee_number = cell(0);
        if employee_number.is_empty() {
            return Err(err(line, COLUMNS[0], Problem::Empty));
        }
        if employee_number.chars().count() > MAX_EMPLOYEE_NUMBER_CHARS {
            return Err(err(line, COLUMNS[0], Problem::TooLong));
        }
        // A line break inside a quoted name (Alt+Enter in a spreadsheet
        // cell) reads as a space; any other control character is refused.
        let name = one_line(cell(1));
        for (col, text) in [(0, employee_number), (1, name.as_str())] {
            if text.chars().any(char::is_control) {
                return Err(err(line, COLUMNS[col], Problem::ControlCharacter));
            }
        }
        if name.is_empty() {
            return Err(err(line, COLUMNS[1], Problem::Empty));
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(err(line, COLUMNS[1], Problem::TooLong));
        }
        let status = UserStatus::parse(cell(2)).ok_or_else(|| {
            err(
                line,
                COLUMNS[2],
                Problem::UnknownStatus(cell(2).to_string()),
            )
        })?;
        let start_date = parse_date(cell(3))
            .map_err(|_| err(line, COLUMNS[3], Problem::BadDate(cell(3).to_string())))?;
        let end_date = if cell(4).is_empty() {
            None
        } else {
            Some(
                parse_date(cell(4))
                    .map_err(|_| err(line, COLUMNS[4], Problem::BadDate(cell(4).to_string())))?,
            )
        };
        if matches!(end_date, Some(end) if end < start_date) {
            return Err(err(line, COLUMNS[4], Problem::EndBeforeStart));
        }
        let unit = match unit {
            None => None,
            Some(None) => return Err(err(line, UNIT_COLUMN, Problem::NotText)),
            Some(Some(text)) => Some(super::validation::parse_unit(text).map_err(|_| {
                let problem = if text.chars().any(char::is_control) {
                    Problem::ControlCharacter
                } else {
                    Problem::TooLong
                };
                err(line, UNIT_COLUMN, problem)
            })?),
        };
        if !self.seen.insert(employee_number.to_string()) {
            return Err(err(
                line,
                COLUMNS[0],
                Problem::DuplicateEmployeeNumber(employee_number.to_string()),
            ));
        }
        Ok(ImportRow {
            line,
            employee_number: employee_number.to_string(),
            name,
            status,
            start_date,
            end_date,
            unit,
        })
    }
}

/// Parse and check a whole file; the first bad row stops it.
pub fn parse_users_csv(data: &[u8]) -> Result<Vec<ImportRow>, ImportError> {
    let data = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(data);
    let headers = reader
        .headers()
        .map_err(|e| err(1, "header", Problem::Unreadable(e.to_string())))?
        .clone();
    let mut index = [usize::MAX; 5];
    let mut unit_index = None;
    for (i, name) in headers.iter().enumerate() {
        let name = name.trim();
        match COLUMNS.iter().position(|c| *c == name) {
            Some(col) if index[col] == usize::MAX => index[col] = i,
            None if name == UNIT_COLUMN && unit_index.is_none() => unit_index = Some(i),
            _ => return Err(err(1, name, Problem::UnknownColumn)),
        }
    }
    if let Some(col) = index.iter().position(|i| *i == usize::MAX) {
        return Err(err(1, COLUMNS[col], Problem::MissingColumn));
    }

    let mut rows = Vec::new();
    let mut checker = Checker::default();
    let mut lines = LineCounter::new(data);
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| lines.line_at(p.byte())).unwrap_or(0);
            err(line, "row", Problem::Unreadable(e.to_string()))
        })?;
        let line = record
            .position()
            .map(|p| lines.line_at(p.byte()))
            .unwrap_or(0);
        if record.len() != headers.len() {
            return Err(err(line, "row", Problem::WrongCellCount));
        }
        let cell = |col: usize| record.get(index[col]).unwrap_or("").trim();
        let unit = unit_index.map(|i| Some(record.get(i).unwrap_or("")));
        rows.push(checker.check(
            line,
            [cell(0), cell(1), cell(2), cell(3), cell(4)].map(Some),
            unit,
        )?);
    }
    if rows.is_empty() {
        return Err(err(2, "row", Problem::NoRows));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "employee_number,name,status,start_date,end_date\n";

    fn parse(body: &str) -> Result<Vec<ImportRow>, ImportError> {
        parse_users_csv(format!("{HEADER}{body}").as_bytes())
    }

    #[test]
    fn good_rows_are_read_with_their_lines() {
        let rows =
            parse("E1,Anna,active,2024-01-01,\nE2,\"Berg, Bo\",passive,2024-01-01,2025-01-01\n")
                .expect("good file");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].line, 3);
        assert_eq!(rows[1].name, "Berg, Bo");
        assert_eq!(rows[1].status, UserStatus::Passive);
        assert_eq!(rows[0].end_date, None);
    }

    #[test]
    fn the_unit_column_is_optional_and_an_empty_cell_clears() {
        let rows = parse("E1,A,active,2024-01-01,\n").expect("without units");
        assert_eq!(rows[0].unit, None);
        let rows = parse_users_csv(
            b"unit,employee_number,name,status,start_date,end_date\n\
              Store 12,E1,A,active,2024-01-01,\n,E2,B,active,2024-01-01,\n",
        )
        .expect("with units");
        assert_eq!(rows[0].unit, Some(Some("Store 12".to_string())));
        assert_eq!(rows[1].unit, Some(None));
        let long = "x".repeat(101);
        let data = format!(
            "{}unit\nE1,A,active,2024-01-01,,{long}\n",
            HEADER.trim_end().to_string() + ","
        );
        let e = parse_users_csv(data.as_bytes()).expect_err("too long");
        assert_eq!(
            (e.line, e.field.as_str(), e.problem),
            (2, "unit", Problem::TooLong)
        );
        let e = parse_users_csv(b"employee_number,name,status,start_date,end_date,unit,unit\n")
            .expect_err("twice");
        assert_eq!((e.line, e.problem), (1, Problem::UnknownColumn));
    }

    #[test]
    fn a_bom_and_crlf_are_accepted() {
        let data = format!(
            "\u{feff}{}",
            "employee_number,name,status,start_date,end_date\r\nE1,A,active,2024-01-01,\r\n"
        );
        assert_eq!(parse_users_csv(data.as_bytes()).expect("bom file").len(), 1);
    }

    #[test]
    fn each_bad_row_names_its_line_and_field() {
        let cases = [
            (
                "E1,A,active,2024-01-01,\nE2,B,active,2024-13-01,\n",
                3,
                "start_date",
            ),
            ("E1,A,sleeping,2024-01-01,\n", 2, "status"),
            (
                "E1,A,active,2024-01-01,\nE1,B,active,2024-01-01,\n",
                3,
                "employee_number",
            ),
            ("E1,A,active,2024-05-01,2024-04-30\n", 2, "end_date"),
            (",A,active,2024-05-01,\n", 2, "employee_number"),
            ("E1,A\u{0}B,active,2024-05-01,\n", 2, "name"),
            ("E1,,active,2024-05-01,\n", 2, "name"),
        ];
        for (body, line, field) in cases {
            let e = parse(body).expect_err(body);
            assert_eq!((e.line, e.field.as_str()), (line, field), "{body}: {e}");
        }
    }

    #[test]
    fn the_same_bad_row_is_named_by_the_same_line_whatever_the_line_ends() {
        // The bad row is the file's fourth line in each.
        let lf = "employee_number,name,status,start_date,end_date\nE1,A,active,2024-01-01,\nE2,B,active,2024-01-01,\nE3,C,sleeping,2024-01-01,\n";
        let crlf = lf.replace('\n', "\r\n");
        let cr = lf.replace('\n', "\r");
        for (what, data) in [("LF", lf.to_string()), ("CRLF", crlf), ("CR", cr)] {
            let e = parse_users_csv(data.as_bytes()).expect_err(what);
            assert_eq!((e.line, e.field.as_str()), (4, "status"), "{what}: {e}");
            assert!(e.to_string().starts_with("line 4, field status"), "{what}");
        }
        // A BOM changes no line number.
        let bom = format!("\u{feff}{lf}");
        assert_eq!(parse_users_csv(bom.as_bytes()).expect_err("bom").line, 4);
    }

    #[test]
    fn a_quoted_name_over_two_lines_moves_the_next_rows_down_one_line() {
        for end in ["\n", "\r\n"] {
            let data = [
                "employee_number,name,status,start_date,end_date",
                "E1,\"Anna",
                "Berg\",active,2024-01-01,",
                "E2,B,active,2024-13-01,",
                "",
            ]
            .join(end);
            let e = parse_users_csv(data.as_bytes()).expect_err(end);
            // Header on 1, Anna's row on 2 and 3, the bad row on 4.
            assert_eq!(
                (e.line, e.field.as_str()),
                (4, "start_date"),
                "{end:?}: {e}"
            );
            let good = data.replace("2024-13-01", "2024-12-01");
            let rows = parse_users_csv(good.as_bytes()).expect("good");
            assert_eq!(rows[0].line, 2);
            assert_eq!(rows[0].name, "Anna Berg");
            assert_eq!(rows[1].line, 4);
        }
    }

    #[test]
    fn a_missing_column_is_named_on_line_one() {
        let e =
            parse_users_csv(b"employee_number,name,status,start_date\nE1,A,active,2024-01-01\n")
                .expect_err("missing column");
        assert_eq!((e.line, e.field.as_str()), (1, "end_date"));
        assert!(e.to_string().contains("line 1, field end_date"));
    }
}
