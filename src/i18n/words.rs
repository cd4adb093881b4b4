//! What the pages ask of a catalog beyond its keys: formatted figures,
//! the words of enums, errors and flashes.

use super::flash::Flash;
#[allow(unused_imports)]
use super::*;
use crate::domain::audit::AuditKind;
use crate::domain::orders::OrderStatus;
use crate::domain::roles::Role;
use crate::domain::validation::FieldError;

impl Msgs {
    /// The status code's explanation in an API problem's `detail`.
    pub fn api_error_text(&self, status: u16) -> &'static str {
        match status {
            400 => self.api_error_400,
            401 => self.api_error_401,
            403 => self.api_error_403,
            404 => self.api_error_404,
            405 => self.api_error_405,
            409 => self.api_error_409,
            413 => self.api_error_413,
            415 => self.api_error_415,
            422 => self.api_error_422,
            429 => self.api_error_429,
            500 => self.api_error_500,
            503 => self.api_error_503,
            _ => self.api_error_other,
        }
    }

    /// The status code's explanation on an error page.
    pub fn error_text(&self, status: u16) -> &'static str {
        match status {
            400 => self.error_400,
            403 => self.error_403,
            404 => self.error_404,
            405 => self.error_405,
            409 => self.error_409,
            429 => self.error_429,
            410 => self.error_410,
            413 => self.error_413,
            415 => self.error_415,
            422 => self.error_422,
            503 => self.error_503,
            _ => self.error_500,
        }
    }

    pub fn field_error(&self, e: FieldError) -> &'static str {
        match e {
            FieldError::Quantity => self.err_quantity,
            FieldError::Reference => self.err_reference,
            FieldError::PasswordLength => self.err_password_length,
            FieldError::CommonPassword => self.err_password_common,
            FieldError::PasswordHasEmail => self.err_password_email,
            FieldError::Adjustment => self.err_adjustment,
            FieldError::Required => self.err_required,
            FieldError::Email => self.err_email,
            FieldError::Date => self.err_date,
            FieldError::TimeZone => self.err_time_zone,
            FieldError::Number => self.err_number,
            FieldError::TooLong => self.err_too_long,
            FieldError::Days => self.err_days,
            FieldError::Scope => self.err_scope,
            FieldError::Page => self.err_page,
            FieldError::PerPage => self.err_per_page,
            FieldError::Span => self.err_span,
            FieldError::PastDay => self.err_past_day,
            FieldError::EndBeforeStart => self.err_end_before_start,
            FieldError::PeriodTooLong => self.err_period_long,
            FieldError::NotBeforeTomorrow => self.err_not_before_tomorrow,
            FieldError::ReduceNoEnd => self.err_reduce_no_end,
            FieldError::Kind => self.err_kind,
            FieldError::RuleQuantity => self.err_rule_quantity,
            FieldError::RulePer30Days => self.err_rule_per_30_days,
            FieldError::MessageBody => self.err_message_body,
            FieldError::Unit => self.err_unit,
            FieldError::ThresholdPercent => self.err_threshold_percent,
            FieldError::LookAheadDays => self.err_look_ahead_days,
            FieldError::OnOff => self.err_on_off,
            FieldError::Price => self.err_price,
            FieldError::Currency => self.err_currency,
            FieldError::Billing => self.err_billing,
            FieldError::RenewsOn => self.err_renews_on,
        }
    }

    pub fn order_status(&self, status: OrderStatus) -> &'static str {
        match status {
            OrderStatus::Pending => self.status_pending,
            OrderStatus::Approved => self.status_approved,
            OrderStatus::Rejected => self.status_rejected,
            OrderStatus::Cancelled => self.status_cancelled,
        }
    }

    /// The words of a one-time message.
    pub fn flash(&self, flash: Flash) -> &'static str {
        match flash {
            Flash::PasswordChanged => self.password_changed,
            Flash::LanguageSaved => self.language_saved,
            Flash::OtherSessionsEnded => self.other_sessions_ended,
            Flash::OrderPlaced => self.order_placed,
            Flash::OrderCancelled => self.order_cancelled,
            Flash::OrderApproved => self.order_approved,
            Flash::OrderRejected => self.order_rejected,
            Flash::AccountCreated => self.account_created,
            Flash::LicensesAdjusted => self.licenses_adjusted,
            Flash::LoginCreated => self.login_created,
            Flash::LoginDisabled => self.login_disabled,
            Flash::LoginEnabled => self.login_enabled,
            Flash::UserSaved => self.user_saved,
            Flash::UsersImported => self.users_imported,
            Flash::InvitationSent => self.invitation_sent,
            Flash::MailRetried => self.mail_retried,
            Flash::TokenRevoked => self.token_revoked,
            Flash::TwoStepReset => self.two_step_reset_done,
            Flash::TwoStepEnabled => self.two_step_enabled_flash,
            Flash::TwoStepDisabled => self.two_step_disabled_flash,
            Flash::RuleSaved => self.rule_saved,
            Flash::AlertsSaved => self.alerts_saved,
            Flash::WarningsSaved => self.warnings_saved,
            Flash::AgreementSaved => self.agreement_saved,
            Flash::MessageSent => self.message_sent,
            Flash::OrderApprovedByRule => self.order_approved_by_rule_flash,
        }
    }

    /// An audit event's kind as a reader sees it.
    pub fn audit_kind(&self, kind: AuditKind) -> &'static str {
        match kind {
            AuditKind::AccountCreated => self.kind_account_created,
            AuditKind::LoginCreated => self.kind_login_created,
            AuditKind::LoginDisabled => self.kind_login_disabled,
            AuditKind::LoginEnabled => self.kind_login_enabled,
            AuditKind::PasswordChanged => self.kind_password_changed,
            AuditKind::OrderPlaced => self.kind_order_placed,
            AuditKind::OrderCancelled => self.kind_order_cancelled,
            AuditKind::OrderApproved => self.kind_order_approved,
            AuditKind::OrderRejected => self.kind_order_rejected,
            AuditKind::OrderAutoApproved => self.kind_order_auto_approved,
            AuditKind::RuleChanged => self.kind_rule_changed,
            AuditKind::AlertsChanged => self.kind_alerts_changed,
            AuditKind::WarningsByMailChanged => self.kind_warnings_by_mail_changed,
            AuditKind::AgreementChanged => self.kind_agreement_changed,
            AuditKind::LicensesAdjusted => self.kind_licenses_adjusted,
            AuditKind::UserChanged => self.kind_user_changed,
            AuditKind::UsersImported => self.kind_users_imported,
            AuditKind::UsersSynced => self.kind_users_synced,
            AuditKind::LanguageChanged => self.kind_language_changed,
            AuditKind::InvitationSent => self.kind_invitation_sent,
            AuditKind::PasswordSetByInvitation => self.kind_password_set_by_invitation,
            AuditKind::PasswordResetRequested => self.kind_password_reset_requested,
            AuditKind::PasswordReset => self.kind_password_reset,
            AuditKind::TwoStepOn => self.kind_two_step_on,
            AuditKind::TwoStepOff => self.kind_two_step_off,
            AuditKind::TwoStepReset => self.kind_two_step_reset,
            AuditKind::RecoveryCodesRenewed => self.kind_recovery_codes_renewed,
            AuditKind::RecoveryCodeUsed => self.kind_recovery_code_used,
            AuditKind::TwoStepReplayRefused => self.kind_two_step_replay_refused,
            AuditKind::ApiTokenCreated => self.kind_api_token_created,
            AuditKind::ApiTokenRevoked => self.kind_api_token_revoked,
        }
    }

    pub fn role_name(&self, role: Role) -> &'static str {
        match role {
            Role::Staff => self.role_staff,
            Role::Viewer => self.role_viewer,
            Role::Contact => self.role_contact,
        }
    }
}
