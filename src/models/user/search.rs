//! Which users a list shows: the filters of SPEC 4, a unit (SPEC 14) and
//! a search by name or employee number through each engine's index.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::{DbConnection, MultiBackend};
use crate::domain::counting::{self, UserGroup};

/// Which users a list shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserFilter {
    All,
    Counted,
    Group(UserGroup),
}

impl UserFilter {
    pub fn parse(s: &str) -> Option<UserFilter> {
        match s {
            "" | "all" => Some(UserFilter::All),
            "counted" => Some(UserFilter::Counted),
            other => UserGroup::ALL
                .into_iter()
                .find(|g| g.as_str() == other)
                .map(UserFilter::Group),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            UserFilter::All => "all",
            UserFilter::Counted => "counted",
            UserFilter::Group(g) => g.as_str(),
        }
    }
}

/// Which unit a list keeps to (SPEC 14).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum UnitFilter {
    /// Every unit and none.
    #[default]
    Any,
    /// The users without a unit.
    NoUnit,
    /// The users of this unit.
    Is(String),
}

/// What a users list asks for: a filter, a unit and a search text (name
/// or employee number).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSearch {
    pub filter: UserFilter,
    pub unit: UnitFilter,
    pub q: String,
}

impl UserSearch {
    /// Every user under `filter`.
    pub fn only(filter: UserFilter) -> UserSearch {
        UserSearch {
            filter,
            unit: UnitFilter::Any,
            q: String::new(),
        }
    }
}

type BoxedUsers<'a> = users::BoxedQuery<'a, MultiBackend>;

/// Which engine a query is built for: search takes each one's index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of(conn: &DbConnection) -> Backend {
        match conn {
            DbConnection::Sqlite(_) => Backend::Sqlite,
            DbConnection::Postgres(_) => Backend::Postgres,
        }
    }
}

/// The users of an account under a search on `day`. The SQL here mirrors
/// `counting::count_reason` and `counting::user_group`; tests check that
/// they agree.
pub(super) fn filtered<'a>(
    account_id: i64,
    search: &UserSearch,
    day: NaiveDate,
    backend: Backend,
) -> BoxedUsers<'a> {
    let q = search_text(&search.q);
    let mut query = users::table.into_boxed::<MultiBackend>();
    query = match (backend, &q) {
        // SQLite plans a search from the index of the account's users
        // (a probe of the matches for each) unless told otherwise: the
        // account's term is kept out of its indexes (`+`), so the matches
        // drive the query.
        (Backend::Sqlite, Some(_)) => query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("+users.account_id = ")
                .bind::<diesel::sql_types::BigInt, _>(account_id),
        ),
        _ => query.filter(users::account_id.eq(account_id)),
    };
    let soon = counting::ending_soon_until(day);
    query = match search.filter {
        UserFilter::All => query,
        UserFilter::Counted => query.filter(crate::models::counted::user_on(day)),
        UserFilter::Group(UserGroup::Passive) => query.filter(users::status.eq("passive")),
        UserFilter::Group(UserGroup::Ended) => query
            .filter(crate::models::counted::user_active())
            .filter(users::end_date.lt(day)),
        UserFilter::Group(UserGroup::EndingSoon) => query
            .filter(crate::models::counted::user_active())
            .filter(users::end_date.ge(day))
            .filter(users::end_date.le(soon)),
        UserFilter::Group(UserGroup::FutureStart) => query
            .filter(crate::models::counted::user_active())
            .filter(users::start_date.gt(day))
            .filter(users::end_date.is_null().or(users::end_date.gt(soon))),
    };
    query = match &search.unit {
        UnitFilter::Any => query,
        UnitFilter::NoUnit => query.filter(users::unit.is_null()),
        UnitFilter::Is(unit) => query.filter(users::unit.eq(unit.clone())),
    };
    if let Some(q) = q {
        query = query.filter(matching(account_id, &q, backend));
    }
    query
}

/// The text searched for: trimmed, without control characters; `None`
/// when nothing is left.
pub(super) fn search_text(q: &str) -> Option<String> {
    let q: String = q.trim().chars().filter(|c| !c.is_control()).collect();
    (!q.is_empty()).then_some(q)
}

type Condition =
    Box<dyn BoxableExpression<users::table, MultiBackend, SqlType = diesel::sql_types::Bool>>;

/// Users whose name or employee number matches `q`, by an index:
///
/// - SQLite: the FTS5 table `users_search`, each word searched the start
///   of a word of the name or the number (a text of no letters or digits
///   finds no one);
/// - PostgreSQL: `ILIKE` anywhere in the name or the number, read through
///   the trigram indexes (`pg_trgm`). Its `C.UTF-8` case folding and a
///   database made with the `C` locale both find "Åsa Öster" from "åsa"
///   and "ÖSTER": the text is also tried as typed and with a capital
///   first letter.
fn matching(account_id: i64, q: &str, backend: Backend) -> Condition {
    use diesel::dsl::sql;
    use diesel::sql_types::{Bool, Text};
    match backend {
        Backend::Sqlite => match fts_query(account_id, q) {
            Some(words) => Box::new(
                sql::<Bool>(
                    "users.id IN (SELECT rowid FROM users_search WHERE users_search MATCH ",
                )
                .bind::<Text, _>(words)
                .sql(")"),
            ),
            None => Box::new(sql::<Bool>("1 = 0")),
        },
        Backend::Postgres => {
            let lowered = q.to_lowercase();
            let mut capital: String = lowered
                .chars()
                .take(1)
                .flat_map(char::to_uppercase)
                .collect();
            capital.push_str(&lowered.chars().skip(1).collect::<String>());
            // ILIKE folds ASCII in every locale: one form is enough then.
            let mut forms = if q.is_ascii() {
                vec![lowered]
            } else {
                vec![lowered, q.to_string(), capital]
            };
            forms.dedup();
            let mut condition: Condition = Box::new(sql::<Bool>("1 = 0"));
            for form in forms {
                let pattern = format!("%{}%", escape_like(&form));
                // Each column by its index (`users_name_trgm`, `users_number_trgm`).
                condition = Box::new(
                    condition.or(sql::<Bool>("(users.name ILIKE ")
                        .bind::<Text, _>(pattern.clone())
                        .sql(" OR users.employee_number ILIKE ")
                        .bind::<Text, _>(pattern)
                        .sql(")")),
                );
            }
            condition
        }
    }
}

/// The most words a search takes (the rest are left out).
const MAX_SEARCH_WORDS: usize = 8;

/// A search as an FTS5 query over one account's entries: each word quoted
/// (a `"` doubled) and taken as a prefix of a word of the name or the
/// number, all of them required; words of no letter or digit left out
/// (the index keeps none), at most [`MAX_SEARCH_WORDS`]. `None` when no
/// word is left.
pub fn fts_query(account_id: i64, q: &str) -> Option<String> {
    let words: Vec<String> = q
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .take(MAX_SEARCH_WORDS)
        .map(|w| format!("{{name employee_number}} : \"{}\"*", w.replace('"', "\"\"")))
        .collect();
    (!words.is_empty())
        .then(|| format!("account_id : \"{account_id}\" AND {}", words.join(" AND ")))
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_is_one_accounts_words_each_quoted_as_a_prefix() {
        assert_eq!(
            fts_query(7, "  Åsa  öst "),
            Some(
                "account_id : \"7\" AND {name employee_number} : \"Åsa\"* AND {name employee_number} : \"öst\"*"
                    .to_string()
            )
        );
        // Quotes are doubled; FTS5's operators stay words.
        assert_eq!(
            fts_query(1, "a\"b OR"),
            Some(
                "account_id : \"1\" AND {name employee_number} : \"a\"\"b\"* AND {name employee_number} : \"OR\"*"
                    .to_string()
            )
        );
        assert_eq!(fts_query(1, "- % ()"), None, "no word to look for");
        let many = "w ".repeat(20);
        let query = fts_query(1, &many).expect("words");
        assert_eq!(query.matches("employee_number}").count(), MAX_SEARCH_WORDS);
    }

    #[test]
    fn search_text_is_trimmed_and_free_of_control_characters() {
        assert_eq!(search_text(" a\u{0}b "), Some("ab".to_string()));
        assert_eq!(search_text(" \t "), None);
    }
}
