//! The password rule of SPEC 8.3 at every place a password is set: the
//! command line, an invitation, a reset and the password page.

use std::process::{Command, Stdio};

use reqwest::StatusCode;

use crate::helpers::{client, reset_link, spawn_app, TestApp, PASSWORD};

/// What each place is given, and whether it takes it.
fn table(email: &str) -> Vec<(String, bool)> {
    let local = email.split('@').next().unwrap_or("");
    vec![
        ("password1234".into(), false),
        (format!("my {local} passphrase"), false),
        ("a".repeat(11), false),
        ("b".repeat(129), false),
        ("blue kettle under the stairs".into(), true),
    ]
}

#[test]
fn the_command_line_applies_the_password_rule() {
    let db = crate::helpers::TestDb::new();
    let email = "rule@vendor.example";
    for (password, good) in table(email) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_license-portal"))
            .arg("--database")
            .arg(db.cli_url())
            .args(["login", "create", "--email", email, "--role", "staff"])
            .env_remove("DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runs");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{password}\n").as_bytes())
            .expect("write");
        let out = child.wait_with_output().expect("output");
        let stderr = String::from_utf8_lossy(&out.stderr);
        if good {
            assert!(out.status.success(), "{password:?}: {stderr}");
        } else {
            assert_eq!(out.status.code(), Some(1), "{password:?}: {stderr}");
            assert!(stderr.contains("password"), "names the field: {stderr}");
        }
    }
}

/// POST a new password through a link's form.
async fn through_link(app: &TestApp, link: &str, password: &str) -> StatusCode {
    let c = client();
    let (_, html) = app.get_html(&c, link).await;
    let token = crate::helpers::hidden_value(&html, "csrf_token").expect("token");
    app.post_form(
        &c,
        link,
        &[
            ("password", password),
            ("password_confirm", password),
            ("csrf_token", &token),
        ],
    )
    .await
    .status()
}

#[tokio::test]
async fn an_invitation_and_a_reset_apply_the_password_rule() {
    let app = spawn_app().await;
    let w = app.world();
    let staff = app.client_for("staff@vendor.example").await;
    let email = "ruled@alpha.example";
    let res = app
        .post(
            &staff,
            &format!("/staff/accounts/{}/logins", w.a.id),
            &[("email", email), ("name", ""), ("role", "viewer")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let link = crate::helpers::invitation_link(&app, email).await;
    for (password, good) in table(email) {
        let expected = if good {
            StatusCode::SEE_OTHER
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(
            through_link(&app, &link, &password).await,
            expected,
            "invitation {password:?}"
        );
    }
    let c = client();
    let (_, html) = app.get_html(&c, "/login/reset").await;
    let token = crate::helpers::hidden_value(&html, "csrf_token").expect("token");
    app.post_form(
        &c,
        "/login/reset",
        &[("email", "contact@alpha.example"), ("csrf_token", &token)],
    )
    .await;
    let link = reset_link(&app, "contact@alpha.example").await;
    for (password, good) in table("contact@alpha.example") {
        let expected = if good {
            StatusCode::SEE_OTHER
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(
            through_link(&app, &link, &password).await,
            expected,
            "reset {password:?}"
        );
    }
}

#[tokio::test]
async fn the_password_page_applies_the_password_rule() {
    let app = spawn_app().await;
    app.world();
    let c = app.client_for("contact@alpha.example").await;
    for (password, good) in table("contact@alpha.example") {
        let res = app
            .post(
                &c,
                "/me/password",
                &[("old_password", PASSWORD), ("new_password", &password)],
            )
            .await;
        let expected = if good {
            StatusCode::SEE_OTHER
        } else {
            StatusCode::UNPROCESSABLE_ENTITY
        };
        assert_eq!(res.status(), expected, "{password:?}");
    }
}
