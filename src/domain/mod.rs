//! Rules with no I/O: who is counted, orders and their states, roles,
//! validation of what people type. Unit tests reach them without a database.

pub mod audit;
pub mod counting;
pub mod history;
pub mod import;
pub mod ledger;
pub mod links;
pub mod mail;
pub mod money;
pub mod orders;
pub mod report;
pub mod roles;
pub mod tokens;
pub mod validation;
pub mod warnings;

/// A stored word that none of an enum's values spells: the database holds
/// something this program does not know (a CHECK dropped, a newer
/// version's value). Reading it is an error that names where it was, never
/// a silent default.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown value {value:?} in {column}")]
pub struct UnknownValue {
    /// `table.column`.
    pub column: &'static str,
    pub value: String,
}

/// The conversions of a stored word enum: `TryFrom<String>` for reading
/// (diesel's `deserialize_as`), `From<Self> for String` for writing
/// (`serialize_as`).
macro_rules! stored_word {
    ($ty:ty, $column:literal) => {
        impl TryFrom<String> for $ty {
            type Error = $crate::domain::UnknownValue;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                <$ty>::parse(&value).ok_or($crate::domain::UnknownValue {
                    column: $column,
                    value,
                })
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.as_str().to_string()
            }
        }

        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_word!(roles::Role, "logins.role");
stored_word!(orders::OrderStatus, "license_orders.status");
stored_word!(counting::UserStatus, "users.status");
stored_word!(mail::MailStatus, "outbox.status");
stored_word!(mail::MailKind, "outbox.kind");
stored_word!(tokens::TokenScope, "api_tokens.scope");
stored_word!(audit::AuditKind, "audit_events.kind");
stored_word!(links::Purpose, "login_tokens.purpose");
stored_word!(ledger::LedgerKind, "license_ledger.kind");
stored_word!(orders::OrderKind, "license_orders.kind");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_stored_word_is_an_error_naming_its_column() {
        let err = orders::OrderStatus::try_from("shipped".to_string()).expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "unknown value \"shipped\" in license_orders.status"
        );
        assert!(roles::Role::try_from("admin".to_string()).is_err());
        assert!(counting::UserStatus::try_from("Active".to_string()).is_err());
        assert_eq!(
            roles::Role::try_from("staff".to_string()),
            Ok(roles::Role::Staff)
        );
        assert_eq!(String::from(counting::UserStatus::Passive), "passive");
        let err = links::Purpose::try_from("welcome".to_string()).expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "unknown value \"welcome\" in login_tokens.purpose"
        );
        let err = mail::MailKind::try_from("newsletter".to_string()).expect_err("unknown");
        assert!(err.to_string().contains("outbox.kind"));
    }
}
