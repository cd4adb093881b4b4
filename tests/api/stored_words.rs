//! Every column that keeps a word the portal reads as an enum: a word no
//! version of the portal writes is a named error when read, never a silent
//! default (one case a column).

use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use license_portal::db::schema;
use license_portal::db::DbConnection;
use license_portal::domain::links::Purpose;
use license_portal::domain::tokens::TokenScope;
use license_portal::models::api_token::{ApiToken, NewApiToken};
use license_portal::models::login_token::LoginToken;
use license_portal::models::outbox::{NewOutboxMail, OutboxMail};
use license_portal::models::user_version::UserVersion;
use license_portal::models::{AuditEvent, LicenseOrder, Login, User};

use crate::helpers::{spawn_app, TestApp, UserState};

/// Reads every row of a table as its model; the first error's text.
type Reader = fn(&mut DbConnection) -> Result<usize, String>;

macro_rules! reader {
    ($table:ident, $model:ty) => {
        |conn: &mut DbConnection| {
            schema::$table::table
                .select(<$model>::as_select())
                .load::<$model>(conn)
                .map(|rows| rows.len())
                .map_err(|e| e.to_string())
        }
    };
}

/// Plants `word` in `table.column` past its CHECK, on either backend.
fn plant(app: &TestApp, table: &str, column: &str, word: &str) {
    let sql = if app.db.is_postgres() {
        format!(
            "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_{column}_check; \
             ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {table}_check; \
             UPDATE {table} SET {column} = '{word}';"
        )
    } else {
        format!(
            "PRAGMA ignore_check_constraints = ON; \
             UPDATE {table} SET {column} = '{word}'; \
             PRAGMA ignore_check_constraints = OFF;"
        )
    };
    app.conn().batch_execute(&sql).expect("plant");
}

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// One row in every table with a stored word.
fn rows_everywhere(app: &TestApp) {
    let w = app.world();
    app.accounts_user(w.a.id, "E1", UserState::Counted);
    let conn = &mut app.conn();
    let login = Login::find_by_email(conn, "contact@alpha.example")
        .expect("query")
        .expect("login");
    LoginToken::issue(conn, login.id, Purpose::PasswordReset, now()).expect("token");
    ApiToken::insert(
        conn,
        &NewApiToken {
            token_hash: "h",
            prefix: "p",
            name: "n",
            scope: TokenScope::Read,
            account_id: Some(w.a.id),
            created_by: None,
            created_at: now(),
            expires_at: None,
        },
    )
    .expect("api token");
    OutboxMail::insert(
        conn,
        &NewOutboxMail {
            kind: "invitation",
            to_address: "x@alpha.example",
            subject: "s",
            body: "b",
            created_at: now(),
            next_attempt_at: now(),
        },
    )
    .expect("mail");
    conn.batch_execute(&format!(
        "INSERT INTO license_orders (account_id, quantity, status, form_token, ordered_by, ordered_at) \
         VALUES ({}, 1, 'pending', 'f', {}, CURRENT_TIMESTAMP)",
        w.a.id, login.id
    ))
    .expect("order");
}

#[tokio::test]
async fn an_unknown_word_in_any_stored_word_column_is_an_error_naming_it() {
    let cases: [(&str, &str, &str, Reader); 10] = [
        ("logins", "role", "admin", reader!(logins, Login)),
        ("logins", "language", "fr", reader!(logins, Login)),
        ("users", "status", "retired", reader!(users, User)),
        (
            "user_versions",
            "status",
            "retired",
            reader!(user_versions, UserVersion),
        ),
        (
            "license_orders",
            "status",
            "shipped",
            reader!(license_orders, LicenseOrder),
        ),
        ("outbox", "kind", "newsletter", reader!(outbox, OutboxMail)),
        ("outbox", "status", "bounced", reader!(outbox, OutboxMail)),
        (
            "login_tokens",
            "purpose",
            "welcome",
            reader!(login_tokens, LoginToken),
        ),
        (
            "api_tokens",
            "scope",
            "admin",
            reader!(api_tokens, ApiToken),
        ),
        (
            "audit_events",
            "kind",
            "users_deleted",
            reader!(audit_events, AuditEvent),
        ),
    ];
    for (table, column, word, read) in cases {
        let app = spawn_app().await;
        rows_everywhere(&app);
        let before = read(&mut app.conn());
        assert!(
            matches!(before, Ok(n) if n > 0),
            "{table}: rows read before planting: {before:?}"
        );
        plant(&app, table, column, word);
        let err = read(&mut app.conn())
            .map(|n| format!("{table}.{column}: {n} rows read"))
            .expect_err("an unknown word is not read");
        assert!(
            err.contains(&format!("\"{word}\"")) && err.contains(&format!("{table}.{column}")),
            "{table}.{column}: {err}"
        );
    }
}
