//! What the pages ask of a catalog beyond its keys: formatted figures,
//! the words of enums, errors and flashes.

#[allow(unused_imports)]
use super::*;
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

    /// The one-time message named by a flash key.
    pub fn flash(&self, key: &str) -> Option<&'static str> {
        Some(match key {
            "password_changed" => self.password_changed,
            "language_saved" => self.language_saved,
            "other_sessions_ended" => self.other_sessions_ended,
            "order_placed" => self.order_placed,
            "order_cancelled" => self.order_cancelled,
            "order_approved" => self.order_approved,
            "order_rejected" => self.order_rejected,
            "account_created" => self.account_created,
            "licenses_adjusted" => self.licenses_adjusted,
            "login_created" => self.login_created,
            "login_disabled" => self.login_disabled,
            "login_enabled" => self.login_enabled,
            "user_saved" => self.user_saved,
            "users_imported" => self.users_imported,
            "invitation_sent" => self.invitation_sent,
            "mail_retried" => self.mail_retried,
            "token_revoked" => self.token_revoked,
            "two_step_reset" => self.two_step_reset_done,
            "two_step_enabled" => self.two_step_enabled_flash,
            "two_step_disabled" => self.two_step_disabled_flash,
            _ => return None,
        })
    }

    /// An audit event's kind as a reader sees it.
    pub fn audit_kind(&self, kind: &str) -> &'static str {
        match kind {
            "account_created" => self.kind_account_created,
            "login_created" => self.kind_login_created,
            "login_disabled" => self.kind_login_disabled,
            "login_enabled" => self.kind_login_enabled,
            "password_changed" => self.kind_password_changed,
            "order_placed" => self.kind_order_placed,
            "order_cancelled" => self.kind_order_cancelled,
            "order_approved" => self.kind_order_approved,
            "order_rejected" => self.kind_order_rejected,
            "licenses_adjusted" => self.kind_licenses_adjusted,
            "user_changed" => self.kind_user_changed,
            "language_changed" => self.kind_language_changed,
            "invitation_sent" => self.kind_invitation_sent,
            "password_set_by_invitation" => self.kind_password_set_by_invitation,
            "password_reset_requested" => self.kind_password_reset_requested,
            "password_reset" => self.kind_password_reset,
            "two_step_on" => self.kind_two_step_on,
            "two_step_off" => self.kind_two_step_off,
            "two_step_reset" => self.kind_two_step_reset,
            "recovery_codes_renewed" => self.kind_recovery_codes_renewed,
            "recovery_code_used" => self.kind_recovery_code_used,
            "two_step_replay_refused" => self.kind_two_step_replay_refused,
            "api_token_created" => self.kind_api_token_created,
            "api_token_revoked" => self.kind_api_token_revoked,
            "users_synced" => self.kind_users_synced,
            _ => self.kind_users_imported,
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
