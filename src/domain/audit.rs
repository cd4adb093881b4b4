//! What an audit event records (`audit_events.kind`): each kind once, with
//! its stored word, so a kind the code does not know is an error when read,
//! never shown as another.

macro_rules! audit_kinds {
    ($($(#[$doc:meta])* $variant:ident => $word:literal,)*) => {
        /// The kind of an audit event, stored as its lowercase word.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum AuditKind {
            $($(#[$doc])* $variant,)*
        }

        impl AuditKind {
            /// Every kind.
            pub const ALL: &'static [AuditKind] = &[$(AuditKind::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditKind::$variant => $word,)*
                }
            }

            pub fn parse(s: &str) -> Option<AuditKind> {
                match s {
                    $($word => Some(AuditKind::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

audit_kinds! {
    AccountCreated => "account_created",
    LoginCreated => "login_created",
    LoginDisabled => "login_disabled",
    LoginEnabled => "login_enabled",
    PasswordChanged => "password_changed",
    OrderPlaced => "order_placed",
    OrderCancelled => "order_cancelled",
    OrderApproved => "order_approved",
    OrderRejected => "order_rejected",
    /// An order approved by its account's rule as it was placed (SPEC 13).
    OrderAutoApproved => "order_auto_approved",
    /// Staff set an account's approval rule.
    RuleChanged => "rule_changed",
    /// A contact set the account's warnings (SPEC 14).
    AlertsChanged => "alerts_changed",
    /// A login turned its warnings by mail on or off.
    WarningsByMailChanged => "warnings_by_mail_changed",
    /// Staff set an account's agreement (SPEC 15).
    AgreementChanged => "agreement_changed",
    LicensesAdjusted => "licenses_adjusted",
    UserChanged => "user_changed",
    UsersImported => "users_imported",
    UsersSynced => "users_synced",
    LanguageChanged => "language_changed",
    InvitationSent => "invitation_sent",
    PasswordSetByInvitation => "password_set_by_invitation",
    PasswordResetRequested => "password_reset_requested",
    PasswordReset => "password_reset",
    TwoStepOn => "two_step_on",
    TwoStepOff => "two_step_off",
    TwoStepReset => "two_step_reset",
    RecoveryCodesRenewed => "recovery_codes_renewed",
    RecoveryCodeUsed => "recovery_code_used",
    TwoStepReplayRefused => "two_step_replay_refused",
    ApiTokenCreated => "api_token_created",
    ApiTokenRevoked => "api_token_revoked",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_as_itself_and_an_unknown_one_is_refused() {
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(*kind));
        }
        let err = AuditKind::try_from("order_shipped".to_string()).expect_err("unknown");
        assert_eq!(
            err.to_string(),
            "unknown value \"order_shipped\" in audit_events.kind"
        );
    }
}
