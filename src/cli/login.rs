//! `license-portal login create|invite|reset-two-step|disable|enable`.

use std::io::BufRead;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::db::DatabaseUrl;
use crate::ops;

/// Who a new login is.
#[derive(Debug, Args)]
pub struct NewLogin {
    #[arg(long)]
    email: String,
    /// contact, viewer or staff.
    #[arg(long)]
    role: String,
    /// The account (required for contact and viewer).
    #[arg(long)]
    account: Option<i64>,
    #[arg(long, default_value = "")]
    name: String,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a login; the password is the first line of standard input.
    Create(NewLogin),
    /// Create a login without a password, queue its invitation mail and
    /// print the invitation link alone on one line (the running server
    /// sends the mail; the link also works without a mail server).
    Invite(NewLogin),
    /// Turn a login's two-step off and end its sessions; it enrols again at
    /// its next sign-in where its role must have it.
    ResetTwoStep {
        #[arg(long)]
        email: String,
    },
    /// Disable a login and end its sessions at once.
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled login again.
    Enable {
        #[arg(long)]
        email: String,
    },
}

pub fn run(url: &DatabaseUrl, cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Create(NewLogin {
            email,
            role,
            account,
            name,
        }) => {
            let password = read_password_line()?;
            let input = ops::LoginInput::parse(&email, &name, &role, account, Some(&password))
                .map_err(|(field, e)| anyhow::anyhow!("{}", ops::cli_field_message(field, e)))?;
            let hash = crate::password::Hasher::for_command().hash_blocking(&password)?;
            let mut conn = super::connect_migrated(url)?;
            let login = ops::create_login(&mut conn, None, &input, &hash)?;
            crate::cli::output::note(format!("login {} created ({})", login.email, login.role));
            Ok(())
        }
        Command::Invite(NewLogin {
            email,
            role,
            account,
            name,
        }) => {
            let input = ops::LoginInput::parse(&email, &name, &role, account, None)
                .map_err(|(field, e)| anyhow::anyhow!("{}", ops::cli_field_message(field, e)))?;
            let mut conn = super::connect_migrated(url)?;
            let ctx = crate::mail::MailContext::from_env();
            let (login, link) = ops::invite_login(&mut conn, &ctx, None, &input)?;
            crate::cli::output::note(format!(
                "login {} ({}) invited; the invitation mail is queued and the running server sends it",
                login.email, login.role
            ));
            crate::cli::output::result(&link);
            Ok(())
        }
        Command::ResetTwoStep { email } => {
            let mut conn = super::connect_migrated(url)?;
            let login = crate::models::Login::find_by_email(&mut conn, &email)?
                .ok_or_else(|| anyhow::anyhow!("no login with the email {email:?}"))?;
            ops::reset_two_step(&mut conn, None, login.id)?;
            crate::cli::output::note(format!("login {} has two-step off and no session; it enrols again at its next sign-in where its role must", login.email));
            Ok(())
        }
        Command::Disable { email } => set_disabled(url, &email, true),
        Command::Enable { email } => set_disabled(url, &email, false),
    }
}

fn set_disabled(url: &DatabaseUrl, email: &str, disabled: bool) -> anyhow::Result<()> {
    let mut conn = super::connect_migrated(url)?;
    let login = crate::models::Login::find_by_email(&mut conn, email)?
        .ok_or_else(|| anyhow::anyhow!("no login with the email {email:?}"))?;
    ops::set_login_disabled(&mut conn, None, login.id, disabled)?;
    crate::cli::output::note(format!(
        "login {} {}",
        login.email,
        if disabled {
            "disabled; its sessions ended"
        } else {
            "enabled"
        }
    ));
    Ok(())
}

/// The first line of standard input, without its line ending.
fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    Ok(trimmed.to_string())
}
