//! Mail rules with no I/O: the kinds of mail, their states, and how long a
//! failed one waits before its next try (SPEC 7).

/// What a mail is about; stored as the lowercase word in `outbox.kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailKind {
    Invitation,
    PasswordReset,
    PasswordChanged,
    OrderPlaced,
    OrderCancelled,
    OrderDecided,
    OverLicenses,
    /// Temporary licenses end in 14 days (SPEC 12).
    LicensesEnding,
    /// A message on an order (SPEC 13).
    OrderMessage,
    /// The users counted reach the account's threshold (SPEC 14).
    UsageThreshold,
    /// The forecast shows a day short of licenses (SPEC 14).
    ForecastShort,
    /// The agreement renews within 60 days (SPEC 15).
    RenewalComing,
}

impl MailKind {
    pub const ALL: [MailKind; 12] = [
        MailKind::Invitation,
        MailKind::PasswordReset,
        MailKind::PasswordChanged,
        MailKind::OrderPlaced,
        MailKind::OrderCancelled,
        MailKind::OrderDecided,
        MailKind::OverLicenses,
        MailKind::LicensesEnding,
        MailKind::OrderMessage,
        MailKind::UsageThreshold,
        MailKind::ForecastShort,
        MailKind::RenewalComing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MailKind::Invitation => "invitation",
            MailKind::PasswordReset => "password_reset",
            MailKind::PasswordChanged => "password_changed",
            MailKind::OrderPlaced => "order_placed",
            MailKind::OrderCancelled => "order_cancelled",
            MailKind::OrderDecided => "order_decided",
            MailKind::OverLicenses => "over_licenses",
            MailKind::LicensesEnding => "licenses_ending",
            MailKind::OrderMessage => "order_message",
            MailKind::UsageThreshold => "usage_threshold",
            MailKind::ForecastShort => "forecast_short",
            MailKind::RenewalComing => "renewal_coming",
        }
    }

    pub fn parse(s: &str) -> Option<MailKind> {
        MailKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the mail carries a one-time link that must not be kept once
    /// it is sent.
    pub fn carries_link(self) -> bool {
        matches!(self, MailKind::Invitation | MailKind::PasswordReset)
    }
}

/// A mail's state, stored as the lowercase word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailStatus {
    Pending,
    Sent,
    Failed,
}

impl MailStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MailStatus::Pending => "pending",
            MailStatus::Sent => "sent",
            MailStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<MailStatus> {
        [MailStatus::Pending, MailStatus::Sent, MailStatus::Failed]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// After this many tries a mail is `failed` and waits for staff.
pub const MAX_ATTEMPTS: i32 = 10;
/// The longest wait between tries.
pub const MAX_BACKOFF_SECONDS: i64 = 3600;

/// The wait after the `attempts`-th failed try: `base`, then doubling, at
/// most an hour.
pub fn backoff(base: chrono::Duration, attempts: i32) -> chrono::Duration {
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let wait = base.num_milliseconds().saturating_mul(1i64 << doublings);
    chrono::Duration::milliseconds(wait.min(MAX_BACKOFF_SECONDS * 1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_doubles_from_the_base_up_to_an_hour() {
        let base = chrono::Duration::seconds(30);
        let secs = |n| backoff(base, n).num_seconds();
        assert_eq!(
            [1, 2, 3, 4, 5, 6, 7, 8, 9].map(secs),
            [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
        );
        assert_eq!(secs(0), 30);
        assert_eq!(secs(1000), 3600);
    }
}
