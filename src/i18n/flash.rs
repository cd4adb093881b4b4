//! The one-time messages a page shows after a change (a "flash"), kept in
//! the session as their word until the next page takes them.

macro_rules! flashes {
    ($($variant:ident => $word:literal,)*) => {
        /// A one-time message, kept in the session as its word.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Flash {
            $($variant,)*
        }

        impl Flash {
            /// Every flash.
            pub const ALL: &'static [Flash] = &[$(Flash::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Flash::$variant => $word,)*
                }
            }

            pub fn parse(s: &str) -> Option<Flash> {
                match s {
                    $($word => Some(Flash::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

flashes! {
    PasswordChanged => "password_changed",
    LanguageSaved => "language_saved",
    OtherSessionsEnded => "other_sessions_ended",
    OrderPlaced => "order_placed",
    OrderCancelled => "order_cancelled",
    OrderApproved => "order_approved",
    OrderRejected => "order_rejected",
    AccountCreated => "account_created",
    LicensesAdjusted => "licenses_adjusted",
    LoginCreated => "login_created",
    LoginDisabled => "login_disabled",
    LoginEnabled => "login_enabled",
    UserSaved => "user_saved",
    UsersImported => "users_imported",
    InvitationSent => "invitation_sent",
    MailRetried => "mail_retried",
    TokenRevoked => "token_revoked",
    TwoStepReset => "two_step_reset",
    TwoStepEnabled => "two_step_enabled",
    TwoStepDisabled => "two_step_disabled",
    RuleSaved => "rule_saved",
    AlertsSaved => "alerts_saved",
    WarningsSaved => "warnings_saved",
    AgreementSaved => "agreement_saved",
    MessageSent => "message_sent",
    OrderApprovedByRule => "order_approved_by_rule",
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flash_reads_back_as_itself_and_has_words_in_both_languages() {
        for flash in Flash::ALL {
            assert_eq!(Flash::parse(flash.as_str()), Some(*flash));
            assert!(!super::super::EN.flash(*flash).is_empty());
            assert!(!super::super::SV.flash(*flash).is_empty());
        }
        assert_eq!(Flash::parse("order_shipped"), None);
    }
}
