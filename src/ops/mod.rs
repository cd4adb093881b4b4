//! Operations that change data: each runs in one write transaction and
//! writes its audit event there. The command line and the pages share them.

use diesel::result::Error as DbError;

use crate::domain::import::ImportError;
use crate::domain::validation::FieldError;
use crate::mail::MailError;

/// Why an operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum OpError {
    #[error("{field}: {error:?}")]
    Invalid {
        field: &'static str,
        error: FieldError,
    },
    #[error("no account with that id")]
    UnknownAccount,
    #[error("a login with this email already exists")]
    EmailTaken,
    #[error("not found")]
    NotFound,
    #[error("the order is no longer pending")]
    NotPending,
    #[error("the licenses would fall below 0 or exceed the maximum")]
    LicenseBounds,
    /// A dated change that cannot be made now (SPEC 12).
    #[error("refused: {0:?}")]
    Clash(crate::domain::orders::Clash),
    /// An order asked for that would leave too few licenses on a day: a
    /// bad quantity when placed (422), where at approval it is a `Clash`.
    #[error("too few licenses: {0:?}")]
    TooFew(crate::domain::orders::Clash),
    #[error("role and account do not fit: contact and viewer need an account, staff have none")]
    RoleAccount,
    #[error("{0}")]
    Import(ImportError),
    #[error(transparent)]
    Db(#[from] DbError),
    /// A mail template failed to render (a bug, not the reader's doing).
    #[error(transparent)]
    Mail(MailError),
    /// A one-time link that is unknown, used or expired.
    #[error("the link is unknown, used or expired")]
    LinkGone,
    /// An `Idempotency-Key` sent again with another body.
    #[error("the idempotency key was used with another request body")]
    KeyReused,
    /// A users sync refused: the first bad user, by index from 0.
    #[error("user {index}, field {field}: {problem:?}")]
    Sync {
        index: usize,
        field: &'static str,
        problem: crate::domain::import::Problem,
    },
}

impl From<MailError> for OpError {
    fn from(e: MailError) -> Self {
        match e {
            MailError::Db(e) => OpError::Db(e),
            other => OpError::Mail(other),
        }
    }
}

/// The English message for a refused field, for the command line.
pub fn cli_field_message(field: &'static str, error: FieldError) -> String {
    format!("{field}: {}", crate::i18n::EN.field_error(error))
}

mod accounts;
mod alerts;
mod licenses;
mod links;
mod logins;
mod orders;
mod tokens;
mod two_step;
mod users;

pub use accounts::*;
pub use alerts::*;
pub use licenses::*;
pub use links::*;
pub use logins::*;
pub use orders::*;
pub use tokens::*;
pub use two_step::*;
pub use users::*;
