//! One-time links (SPEC 7): what a link is for and how long it lasts.

/// What a link is for, stored as the lowercase word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Invitation,
    PasswordReset,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Invitation => "invitation",
            Purpose::PasswordReset => "password_reset",
        }
    }

    pub fn parse(s: &str) -> Option<Purpose> {
        match s {
            "invitation" => Some(Purpose::Invitation),
            "password_reset" => Some(Purpose::PasswordReset),
            _ => None,
        }
    }

    /// How long a link of this purpose lasts.
    pub fn lifetime(self) -> chrono::Duration {
        match self {
            Purpose::Invitation => chrono::Duration::days(7),
            Purpose::PasswordReset => chrono::Duration::hours(1),
        }
    }
}
