//! The command line (SPEC 5): exit codes, messages on standard error, and
//! all-or-nothing imports.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::TestDb;
use license_portal::db;
use license_portal::models::{Account, User};

fn portal(db: &TestDb, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_license-portal"));
    cmd.arg("--database").arg(db.cli_url()).args(args);
    run(cmd, stdin)
}

fn run(mut cmd: Command, stdin: Option<&str>) -> Output {
    cmd.env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary runs");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().expect("output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn connect(db: &TestDb) -> db::DbConnection {
    db::connect(db.url()).expect("connect")
}

#[test]
fn migrations_apply_to_an_empty_database_and_are_a_no_op_the_second_time() {
    let db = TestDb::new();
    let first = portal(&db, &["migrate"], None);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("11 migration(s) applied"),
        "{}",
        stderr(&first)
    );
    let second = portal(&db, &["migrate"], None);
    assert!(second.status.success());
    assert!(
        stderr(&second).contains("0 migration(s) applied"),
        "{}",
        stderr(&second)
    );
    assert_eq!(db::run_migrations(&mut connect(&db)).expect("migrate"), 0);
}

#[test]
fn account_create_prints_the_new_id_alone_on_one_line() {
    let db = TestDb::new();
    let out = portal(
        &db,
        &["account", "create", "--name", "Acme", "--licenses", "12"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let id: i64 = text.trim_end_matches('\n').parse().expect("only an id");
    assert_eq!(text, format!("{id}\n"));
    let account = Account::find(&mut connect(&db), id)
        .expect("query")
        .expect("account");
    assert_eq!(
        (
            account.name.as_str(),
            account.licenses,
            account.time_zone.as_str()
        ),
        ("Acme", 12, "Europe/Stockholm")
    );
}

#[test]
fn account_create_refuses_bad_values_with_exit_code_1() {
    let db = TestDb::new();
    for (args, field) in [
        (vec!["--name", "X", "--licenses", "-1"], "licenses"),
        (vec!["--name", " ", "--licenses", "1"], "name"),
        (
            vec![
                "--name",
                "X",
                "--licenses",
                "1",
                "--time-zone",
                "Mars/Olympus",
            ],
            "time_zone",
        ),
    ] {
        let mut all = vec!["account", "create"];
        all.extend(args);
        let out = portal(&db, &all, None);
        assert_eq!(out.status.code(), Some(1), "{all:?}");
        assert!(stderr(&out).contains(field), "{all:?}: {}", stderr(&out));
    }
}

#[test]
fn a_usage_error_exits_with_2() {
    let db = TestDb::new();
    let out = portal(&db, &["account", "create", "--name", "X"], None);
    assert_eq!(out.status.code(), Some(2));
    let out = portal(&db, &["no-such-command"], None);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn login_create_takes_the_password_from_the_first_line_of_standard_input() {
    let db = TestDb::new();
    let id = stdout(&portal(
        &db,
        &["account", "create", "--name", "A", "--licenses", "1"],
        None,
    ))
    .trim()
    .to_string();
    let out = portal(
        &db,
        &[
            "login",
            "create",
            "--email",
            "Anna@Example.com",
            "--role",
            "contact",
            "--account",
            &id,
        ],
        Some("a long enough password\nignored second line\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let login = license_portal::models::Login::find_by_email(&mut connect(&db), "anna@example.com")
        .expect("query")
        .expect("login");
    assert!(license_portal::password::Hasher::for_command()
        .verify_blocking(&login.password_hash, "a long enough password")
        .expect("verify"));
    assert!(login.password_hash.starts_with("$argon2id$"));

    for (password, what) in [
        ("short\n", "too short"),
        (&*format!("{}\n", "x".repeat(129)), "too long"),
    ] {
        let out = portal(
            &db,
            &[
                "login",
                "create",
                "--email",
                "b@example.com",
                "--role",
                "staff",
            ],
            Some(password),
        );
        assert_eq!(out.status.code(), Some(1), "{what}");
        assert!(
            stderr(&out).contains("password"),
            "{what}: {}",
            stderr(&out)
        );
    }
    // A contact needs an account; staff have none; an email is unique.
    let out = portal(
        &db,
        &[
            "login",
            "create",
            "--email",
            "c@example.com",
            "--role",
            "contact",
        ],
        Some("a long enough password\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    let out = portal(
        &db,
        &[
            "login",
            "create",
            "--email",
            "ANNA@example.com",
            "--role",
            "staff",
        ],
        Some("a long enough password\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
}

const HEADER: &str = "employee_number,name,status,start_date,end_date\n";

fn write_csv(dir: &tempfile::TempDir, name: &str, body: &str) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, body).expect("write csv");
    path.to_string_lossy().into_owned()
}

#[test]
fn users_import_upserts_by_employee_number() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().expect("dir");
    let id = stdout(&portal(
        &db,
        &["account", "create", "--name", "A", "--licenses", "1"],
        None,
    ))
    .trim()
    .to_string();
    let first = write_csv(
        &dir,
        "a.csv",
        &format!("{HEADER}E1,Anna,active,2024-01-01,\nE2,Bo,passive,2024-01-01,2025-01-01\n"),
    );
    let out = portal(&db, &["users", "import", "--account", &id, &first], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let second = write_csv(
        &dir,
        "b.csv",
        &format!("{HEADER}E2,Bo Berg,active,2024-01-01,\nE3,Cecilia,active,2027-01-01,\n"),
    );
    let out = portal(&db, &["users", "import", "--account", &id, &second], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 user(s) added, 1 updated"),
        "{}",
        stderr(&out)
    );
    let account_id: i64 = id.parse().expect("id");
    let mut conn = connect(&db);
    let bo = User::find_by_number(&mut conn, account_id, "E2")
        .expect("q")
        .expect("E2");
    assert_eq!(
        (bo.name.as_str(), bo.status.as_str(), bo.end_date),
        ("Bo Berg", "active", None)
    );
    let (all, total) = User::page(
        &mut conn,
        account_id,
        &license_portal::models::user::UserSearch::only(
            license_portal::models::user::UserFilter::All,
        ),
        chrono::NaiveDate::MIN,
        0,
        50,
    )
    .expect("page");
    assert_eq!((all.len(), total), (3, 3));
}

#[test]
fn each_bad_import_names_the_line_and_field_and_imports_nothing() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().expect("dir");
    let id = stdout(&portal(
        &db,
        &["account", "create", "--name", "A", "--licenses", "1"],
        None,
    ))
    .trim()
    .to_string();
    let good_rows = "E1,Anna,active,2024-01-01,\nE2,Bo,active,2024-01-01,\n";
    let cases = [
        (
            format!("{HEADER}{good_rows}E3,Cia,active,2024-02-30,\n"),
            id.as_str(),
            "line 4, field start_date",
        ),
        (
            format!("{HEADER}{good_rows}E3,Cia,sleeping,2024-02-01,\n"),
            id.as_str(),
            "line 4, field status",
        ),
        (
            format!("{HEADER}{good_rows}E1,Cia,active,2024-02-01,\n"),
            id.as_str(),
            "line 4, field employee_number",
        ),
        (
            "employee_number,name,status,start_date\nE1,Anna,active,2024-01-01\n".to_string(),
            id.as_str(),
            "line 1, field end_date",
        ),
        (
            format!("{HEADER}{good_rows}E3,Cia,active,2024-02-01,2024-01-01\n"),
            id.as_str(),
            "line 4, field end_date",
        ),
        (format!("{HEADER}{good_rows}"), "999999", "account"),
    ];
    for (i, (body, account, expected)) in cases.iter().enumerate() {
        let file = write_csv(&dir, &format!("bad{i}.csv"), body);
        let out = portal(&db, &["users", "import", "--account", account, &file], None);
        assert_eq!(out.status.code(), Some(1), "case {i}");
        assert!(
            stderr(&out).contains(expected),
            "case {i}: expected {expected:?} in {}",
            stderr(&out)
        );
    }
    let mut conn = connect(&db);
    let (_, total) = User::page(
        &mut conn,
        id.parse().expect("id"),
        &license_portal::models::user::UserSearch::only(
            license_portal::models::user::UserFilter::All,
        ),
        chrono::NaiveDate::MIN,
        0,
        50,
    )
    .expect("page");
    assert_eq!(total, 0, "no bad import wrote a row");
}

#[test]
fn migrate_against_a_refused_postgres_fails_within_seconds_naming_the_refusal() {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_license-portal"));
    cmd.args(["--database", "postgres://127.0.0.1:1/x", "migrate"]);
    let started = Instant::now();
    let out = run(cmd, None);
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(1));
    assert!(took < Duration::from_secs(10), "took {took:?}");
    let err = stderr(&out);
    assert!(
        err.contains("127.0.0.1") && err.to_lowercase().contains("refused"),
        "{err}"
    );
}

#[test]
fn login_disable_from_the_command_line_refuses_unknown_emails() {
    let db = TestDb::new();
    let out = portal(&db, &["migrate"], None);
    assert!(out.status.success());
    let out = portal(
        &db,
        &["login", "disable", "--email", "nobody@example.com"],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("nobody@example.com"));
}

#[test]
fn login_reset_two_step_turns_it_off_and_ends_the_sessions() {
    let db = TestDb::new();
    let out = portal(
        &db,
        &[
            "login",
            "create",
            "--email",
            "ops@vendor.example",
            "--role",
            "staff",
        ],
        Some("a long enough passphrase\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let login =
        license_portal::models::Login::find_by_email(&mut connect(&db), "ops@vendor.example")
            .expect("q")
            .expect("login");
    license_portal::models::Login::set_two_step(
        &mut connect(&db),
        login.id,
        Some(&license_portal::two_step::new_secret()),
        Some(1),
    )
    .expect("on");
    let out = portal(
        &db,
        &["login", "reset-two-step", "--email", "ops@vendor.example"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let after =
        license_portal::models::Login::find_by_email(&mut connect(&db), "ops@vendor.example")
            .expect("q")
            .expect("login");
    assert!(after.totp_secret.is_none() && after.totp_last_step.is_none());
    assert_eq!(
        license_portal::models::AuditEvent::count_kind(&mut connect(&db), "two_step_reset")
            .expect("count"),
        1
    );
    let out = portal(
        &db,
        &[
            "login",
            "reset-two-step",
            "--email",
            "nobody@vendor.example",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("no login"));
}

#[test]
fn token_create_prints_a_vendor_token_alone_and_refuses_a_bad_scope_naming_it() {
    let db = TestDb::new();
    let out = portal(
        &db,
        &["token", "create", "--name", "wfm", "--scope", "sync"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    let token = printed.trim_end_matches('\n');
    assert!(!token.contains('\n'), "alone on one line: {printed:?}");
    assert!(
        license_portal::models::api_token::plausible(token),
        "{token}"
    );
    for (args, field) in [
        (vec!["--scope", "read"], "scope"),
        (vec!["--scope", "sync", "--days", "0"], "days"),
        (vec!["--scope", "decide", "--account", "999"], "account"),
    ] {
        let mut all = vec!["token", "create", "--name", "x"];
        all.extend(args.iter());
        let out = portal(&db, &all, None);
        assert_eq!(out.status.code(), Some(1), "{all:?}");
        assert!(stderr(&out).contains(field), "{all:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    let mut conn = db::connect(db.url()).expect("connect");
    let made = license_portal::models::api_token::ApiToken::vendor(&mut conn).expect("list");
    assert_eq!(made.len(), 1, "only the good one was made");
    assert_eq!(made[0].prefix, &token[..8]);
}
