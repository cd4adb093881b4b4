//! The message catalog: every word a reader sees that is not in a template
//! lives here, in English and Swedish. A missing message is a compile error:
//! each language is one value of the same struct.

use crate::domain::orders::OrderStatus;
use crate::domain::roles::Role;
use crate::domain::validation::FieldError;

/// The languages the portal speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Sv,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Sv];

    /// The code used in `<html lang>`, the database and URLs.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Sv => "sv",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().as_str() {
            "en" => Some(Lang::En),
            "sv" => Some(Lang::Sv),
            _ => None,
        }
    }

    /// The best language for an `Accept-Language` header (English otherwise).
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = pieces
                .find_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .map(|q| q.parse::<f32>().unwrap_or(0.0))
                })
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or("");
            let lang = match primary {
                "sv" => Some(Lang::Sv),
                "en" => Some(Lang::En),
                _ => None,
            };
            if let Some(lang) = lang {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, lang));
                }
            }
        }
        best.map(|(_, l)| l).unwrap_or(Lang::En)
    }

    pub fn msgs(self) -> &'static Msgs {
        match self {
            Lang::En => &EN,
            Lang::Sv => &SV,
        }
    }

    /// "You owned X licenses; this order adds N, for X+N in all."
    pub fn order_summary(self, owned: i64, adds: i64) -> String {
        let total = owned.saturating_add(adds);
        match self {
            Lang::En => format!(
                "You owned {} licenses; this order adds {}, for {} in all.",
                self.num(owned),
                self.num(adds),
                self.num(total)
            ),
            Lang::Sv => format!(
                "Du ägde {} licenser; den här beställningen lägger till {}, totalt {}.",
                self.num(owned),
                self.num(adds),
                self.num(total)
            ),
        }
    }

    /// Why a user is or is not counted, as a reader sees it.
    pub fn reason(self, reason: crate::domain::counting::CountReason) -> String {
        use crate::domain::counting::CountReason::*;
        match (self, reason) {
            (Lang::En, Counted) => "counted".into(),
            (Lang::En, CountedStartsOn(d)) => format!("counted, starts on {d}"),
            (Lang::En, Passive) => "not counted: passive".into(),
            (Lang::En, EndedOn(d)) => format!("not counted: ended on {d}"),
            (Lang::Sv, Counted) => "räknas".into(),
            (Lang::Sv, CountedStartsOn(d)) => format!("räknas, börjar {d}"),
            (Lang::Sv, Passive) => "räknas inte: passiv".into(),
            (Lang::Sv, EndedOn(d)) => format!("räknas inte: slutade {d}"),
        }
    }

    /// "On 2026-12-10, 2 licenses free up."
    pub fn frees_up_on(self, day: chrono::NaiveDate, n: i64) -> String {
        match self {
            Lang::En => format!(
                "On {day}, {} {} free up.",
                self.num(n),
                if n == 1 { "license" } else { "licenses" }
            ),
            Lang::Sv => format!(
                "Den {day} frigörs {} {}.",
                self.num(n),
                if n == 1 { "licens" } else { "licenser" }
            ),
        }
    }

    /// What the quantity field allows, with the maximum per order.
    pub fn quantity_rule(self, max: i64) -> String {
        match self {
            Lang::En => format!(
                "Enter a whole number from 1 to {}, digits 0-9 only.",
                self.num(max)
            ),
            Lang::Sv => format!(
                "Ange ett heltal från 1 till {}, endast siffrorna 0-9.",
                self.num(max)
            ),
        }
    }

    /// "Page 2 of 5".
    pub fn page_n_of(self, page: i64, pages: i64) -> String {
        match self {
            Lang::En => format!("Page {page} of {pages}"),
            Lang::Sv => format!("Sida {page} av {pages}"),
        }
    }

    /// "Page 2 of 5 (230 users)".
    pub fn page_of(self, page: i64, pages: i64, total: i64) -> String {
        match self {
            Lang::En => format!("Page {page} of {pages} ({} users)", self.num(total)),
            Lang::Sv => format!("Sida {page} av {pages} ({} användare)", self.num(total)),
        }
    }

    /// A whole number as this language writes it (10,000 / 10 000).
    pub fn num(self, n: i64) -> String {
        let sep = match self {
            Lang::En => ",",
            Lang::Sv => "\u{a0}",
        };
        let digits = n.unsigned_abs().to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push_str(sep);
            }
            out.push(c);
        }
        if n < 0 {
            format!("\u{2212}{out}")
        } else {
            out
        }
    }
}

/// Declares `Msgs` with one `&'static str` per key, and `entries()` that
/// lists them all, so tests can walk the whole catalog.
macro_rules! catalog {
    ($($name:ident),* $(,)?) => {
        /// Every message, in one language.
        pub struct Msgs {
            $(pub $name: &'static str,)*
        }

        impl Msgs {
            /// Every (key, message) pair.
            pub fn entries(&self) -> Vec<(&'static str, &'static str)> {
                vec![$((stringify!($name), self.$name)),*]
            }
        }
    };
}

catalog! {
    app_name,
    skip_to_content,
    language_name,
    other_language_label,
    sign_in_title,
    email,
    password,
    sign_in,
    sign_in_failed,
    sign_out,
    nav_overview,
    nav_order,
    nav_orders,
    nav_users,
    nav_reports,
    nav_staff_orders,
    nav_accounts,
    nav_audit,
    nav_me,
    header_owned,
    header_counted,
    me_title,
    me_language,
    save,
    change_password,
    old_password,
    new_password,
    password_rules,
    wrong_old_password,
    password_changed,
    language_saved,
    your_sessions,
    session_started,
    session_last_seen,
    session_browser,
    this_session,
    end_other_sessions,
    other_sessions_ended,
    licenses_owned,
    active_users_now,
    licenses_free,
    licenses_short,
    pending_orders,
    latest_orders,
    no_orders,
    order_title,
    order_field_label,
    order_field_hint,
    reference_label,
    reference_hint,
    place_order,
    form_expired,
    before_you_order,
    before_you_order_intro,
    group_passive,
    group_ended,
    group_ending_soon,
    group_future_start,
    suggested,
    errors_summary,
    order,
    orders_title,
    quantity,
    reference,
    status,
    ordered_by,
    ordered_at,
    decided_by,
    decided_at,
    decision_note,
    account,
    cancel_order,
    order_placed,
    order_cancelled,
    status_pending,
    status_approved,
    status_rejected,
    status_cancelled,
    none,
    queue_title,
    approve,
    reject,
    note,
    note_required,
    order_approved,
    order_rejected,
    queue_empty,
    accounts_title,
    name,
    time_zone,
    create_account,
    account_created,
    adjust_licenses,
    change,
    change_hint,
    reason,
    licenses_adjusted,
    logins,
    role,
    create_login,
    login_created,
    disable,
    enable,
    disabled,
    login_disabled,
    login_enabled,
    email_taken,
    audit_title,
    audit_at,
    audit_kind,
    audit_details,
    audit_who,
    all_accounts,
    show,
    role_contact,
    role_viewer,
    role_staff,
    error_title,
    error_400,
    error_403,
    error_404,
    error_405,
    error_409,
    error_429,
    error_413,
    error_415,
    error_422,
    error_500,
    error_503,
    back_home,
    err_quantity,
    err_reference,
    err_password_length,
    err_password_common,
    err_password_email,
    err_adjustment,
    err_required,
    err_email,
    err_date,
    err_time_zone,
    err_number,
    err_too_long,
    err_license_bounds,
    err_role,
    err_account,
    user_saved,
    users_title,
    filter_all,
    filter_counted,
    filter_passive,
    filter_ended,
    filter_ending_soon,
    filter_future_start,
    search_label,
    search,
    employee_number,
    start_date,
    end_date,
    end_date_hint,
    counted_reason,
    user_status_active,
    user_status_passive,
    no_users,
    previous_page,
    next_page,
    change_user,
    err_end_before_start,
    report_title,
    report_day,
    report_count,
    report_from_snapshot,
    report_no_record,
    download_csv,
    chart_title,
    chart_history,
    chart_licenses,
    chart_forecast,
    frees_up,
    frees_up_none,
    import_users,
    import_file,
    import_hint,
    import_failed,
    import_missing_file,
    show_report,
    users_imported,
    audit_cli,
    kind_account_created,
    kind_login_created,
    kind_login_disabled,
    kind_login_enabled,
    kind_password_changed,
    kind_order_placed,
    kind_order_cancelled,
    kind_order_approved,
    kind_order_rejected,
    kind_licenses_adjusted,
    kind_user_changed,
    kind_users_imported,
    kind_language_changed,
    report_no_list,
    nav_outbox,
    login_actions,
    error_410,
    forgot_password,
    reset_title,
    reset_intro,
    reset_send,
    reset_sent,
    back_to_sign_in,
    set_password_title,
    set_password_intro,
    password_confirm,
    set_password_button,
    err_password_mismatch,
    link_gone_title,
    link_gone_text,
    link_gone_action,
    invite_login,
    invite_hint,
    resend_invitation,
    state_invited_until,
    state_invitation_expired,
    state_active,
    state_locked,
    invitation_sent,
    outbox_title,
    outbox_intro,
    outbox_empty,
    mail_kind,
    mail_to,
    mail_subject,
    mail_attempts,
    mail_next,
    mail_error,
    mail_pending,
    mail_failed,
    mail_retry,
    mail_retried,
    kind_invitation_sent,
    kind_password_set_by_invitation,
    kind_password_reset_requested,
    kind_password_reset,
}

impl Msgs {
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

pub static EN: Msgs = Msgs {
    app_name: "License portal",
    skip_to_content: "Skip to content",
    language_name: "English",
    other_language_label: "Svenska",
    sign_in_title: "Sign in",
    email: "Email",
    password: "Password",
    sign_in: "Sign in",
    sign_in_failed: "The email or password is wrong, or the login cannot sign in now.",
    sign_out: "Sign out",
    nav_overview: "Overview",
    nav_order: "Order Licenses",
    nav_orders: "Orders",
    nav_users: "Users",
    nav_reports: "Reports",
    nav_staff_orders: "Orders",
    nav_accounts: "Accounts",
    nav_audit: "Audit",
    nav_me: "Your settings",
    header_owned: "owned",
    header_counted: "counted",
    me_title: "Your settings",
    me_language: "Language",
    save: "Save",
    change_password: "Change password",
    old_password: "Current password",
    new_password: "New password",
    password_rules: "12 to 128 characters, any you like; not one of the most common passwords, and not your email address.",
    wrong_old_password: "The current password is wrong.",
    password_changed: "Your password is changed; your other sessions have ended.",
    language_saved: "Language saved.",
    your_sessions: "Your sessions",
    session_started: "Started (UTC)",
    session_last_seen: "Last seen (UTC)",
    session_browser: "Browser",
    this_session: "this session",
    end_other_sessions: "End my other sessions",
    other_sessions_ended: "Your other sessions have ended.",
    licenses_owned: "Licenses owned",
    active_users_now: "Active users now",
    licenses_free: "Free licenses",
    licenses_short: "Licenses short",
    pending_orders: "Pending orders",
    latest_orders: "Latest orders",
    no_orders: "No orders yet.",
    order_title: "Order Licenses",
    order_field_label: "Order licenses",
    order_field_hint: "How many licenses to add: a whole number from 1 to",
    reference_label: "Order reference / PO number (optional)",
    reference_hint: "Up to 64 characters; staff and invoices show it.",
    place_order: "Place order",
    form_expired: "The form expired; submit again.",
    before_you_order: "Before you order",
    before_you_order_intro: "Check that no one who has left is still counted.",
    group_passive: "Passive (not counted)",
    group_ended: "Active but past the end date (not counted)",
    group_ending_soon: "End date within 30 days (counted, leaving soon)",
    group_future_start: "Start date in the future (counted)",
    suggested: "Suggested quantity",
    errors_summary: "Please correct the following:",
    order: "Order",
    orders_title: "Orders",
    quantity: "Quantity",
    reference: "Reference",
    status: "Status",
    ordered_by: "Ordered by",
    ordered_at: "Ordered (UTC)",
    decided_by: "Decided by",
    decided_at: "Decided (UTC)",
    decision_note: "Decision note",
    account: "Account",
    cancel_order: "Cancel order",
    order_placed: "Your order is placed and waits for review.",
    order_cancelled: "The order is cancelled.",
    status_pending: "pending",
    status_approved: "approved",
    status_rejected: "rejected",
    status_cancelled: "cancelled",
    none: "none",
    queue_title: "Orders to review",
    approve: "Approve",
    reject: "Reject",
    note: "Note",
    note_required: "A note is required to reject an order.",
    order_approved: "The order is approved; the licenses are added.",
    order_rejected: "The order is rejected.",
    queue_empty: "No orders here.",
    accounts_title: "Accounts",
    name: "Name",
    time_zone: "Time zone",
    create_account: "Create account",
    account_created: "The account is created.",
    adjust_licenses: "Adjust licenses",
    change: "Change",
    change_hint: "A signed number, such as +10 or -3.",
    reason: "Reason",
    licenses_adjusted: "The licenses are adjusted.",
    logins: "Logins",
    role: "Role",
    create_login: "Create login",
    login_created: "The login is created.",
    disable: "Disable",
    enable: "Enable",
    disabled: "disabled",
    login_disabled: "The login is disabled and its sessions ended.",
    login_enabled: "The login is enabled.",
    email_taken: "A login with this email already exists.",
    audit_title: "Audit log",
    audit_at: "When (UTC)",
    audit_kind: "Event",
    audit_details: "Details",
    audit_who: "Login",
    all_accounts: "All accounts",
    show: "Show",
    role_contact: "contact",
    role_viewer: "viewer",
    role_staff: "staff",
    error_title: "Something stopped this request",
    error_400: "The request was malformed.",
    error_403: "You may not do this, or the form was not sent from this portal. Reload the page and try again.",
    error_404: "There is no such page.",
    error_405: "This address does not take that kind of request.",
    error_409: "This was already decided or done; nothing was changed.",
    error_429: "Too many failed attempts came from your address. Wait a few minutes, then try again.",
    error_413: "What was sent is too large.",
    error_415: "What was sent is not a form.",
    error_422: "Some values were not accepted.",
    error_500: "Something went wrong on our side; nothing was changed. Try again.",
    error_503: "The portal is busy or its database is not answering. Try again in a moment.",
    back_home: "Back to the start page",
    err_quantity: "Enter a whole number from 1 to the maximum per order, digits 0-9 only.",
    err_reference: "The reference may be up to 64 characters.",
    err_password_length: "The password must be 12 to 128 characters long.",
    err_password_common: "That password is among the most common ones that attackers try first (also with digits or symbols at the end). Choose another: a few unrelated words make a good one.",
    err_password_email: "The password must not contain your email address or its part before @.",
    err_adjustment: "Enter a signed whole number other than zero, such as +10 or -3.",
    err_required: "This field is required.",
    err_email: "Enter an email address.",
    err_date: "Enter a date as YYYY-MM-DD.",
    err_time_zone: "Enter an IANA time zone such as Europe/Stockholm.",
    err_number: "Enter a whole number of 0 or more.",
    err_too_long: "This text is too long.",
    err_license_bounds: "The licenses would fall below 0 or exceed the maximum.",
    err_role: "Choose contact, viewer or staff.",
    err_account: "Contacts and viewers need an account; staff have none.",
    user_saved: "The user is saved.",
    audit_cli: "command line",
    kind_account_created: "account created",
    kind_login_created: "login created",
    kind_login_disabled: "login disabled",
    kind_login_enabled: "login enabled",
    kind_password_changed: "password changed",
    kind_order_placed: "order placed",
    kind_order_cancelled: "order cancelled",
    kind_order_approved: "order approved",
    kind_order_rejected: "order rejected",
    kind_licenses_adjusted: "licenses adjusted",
    kind_user_changed: "user changed",
    kind_users_imported: "users imported",
    kind_language_changed: "language changed",
    report_no_list: "Only the count of a day before today is kept; there is no list to download.",
    users_title: "Users",
    filter_all: "All",
    filter_counted: "Counted",
    filter_passive: "Passive",
    filter_ended: "Past end date",
    filter_ending_soon: "Ending within 30 days",
    filter_future_start: "Future start",
    search_label: "Search name or employee number",
    search: "Search",
    employee_number: "Employee number",
    start_date: "Start date",
    end_date: "End date",
    end_date_hint: "YYYY-MM-DD, empty for none",
    counted_reason: "Counted?",
    user_status_active: "active",
    user_status_passive: "passive",
    no_users: "No users match.",
    previous_page: "Previous page",
    next_page: "Next page",
    change_user: "Save",
    err_end_before_start: "The end date may not be before the start date.",
    report_title: "Active-user report",
    report_day: "Day",
    report_count: "Active users on the day",
    report_from_snapshot: "A past day: the count recorded that day.",
    report_no_record: "No record exists for that day.",
    download_csv: "Download CSV",
    chart_title: "History and forecast of active users",
    chart_history: "Recorded active users",
    chart_licenses: "Licenses owned",
    chart_forecast: "Forecast from end dates",
    frees_up: "Frees up licenses",
    frees_up_none: "No end dates in the next 90 days.",
    import_users: "Import users (CSV)",
    import_file: "CSV file",
    import_hint: "Header: employee_number,name,status,start_date,end_date. All rows or none.",
    import_failed: "The file was not imported:",
    import_missing_file: "Choose a CSV file.",
    show_report: "Show",
    users_imported: "The users are imported.",
    nav_outbox: "Mail",
    login_actions: "Actions",
    error_410: "This link no longer works.",
    forgot_password: "Forgot your password?",
    reset_title: "Forgot your password?",
    reset_intro: "Type the email address you sign in with. We send it a link to choose a new password; the link works for one hour.",
    reset_send: "Send the link",
    reset_sent: "If there is a login for that address, a link is on its way. Check your inbox; the link works for one hour.",
    back_to_sign_in: "Back to sign-in",
    set_password_title: "Choose your password",
    set_password_intro: "Choose the password you will sign in with.",
    password_confirm: "The same password again",
    set_password_button: "Save the password and sign in",
    err_password_mismatch: "The two passwords are not the same.",
    link_gone_title: "This link no longer works",
    link_gone_text: "A link works once, and for a limited time: an invitation for 7 days, a password reset for one hour. A newer invitation also ends an older one. Ask for a new link below, or ask your vendor to invite you again.",
    link_gone_action: "Ask for a new password link",
    invite_login: "Invite",
    invite_hint: "The login gets a mail with a link to choose its own password; no one else sees or types it.",
    resend_invitation: "Send a new invitation",
    state_invited_until: "invited, link valid until",
    state_invitation_expired: "invited, link expired",
    state_active: "active",
    state_locked: "locked",
    invitation_sent: "The invitation is on its way.",
    outbox_title: "Mail waiting and failed",
    outbox_intro: "Mails are sent by the server as soon as the change they report is saved. A mail that could not be sent is tried again after 30 seconds, then after doubling waits up to an hour; after 10 tries it is failed and waits here for you.",
    outbox_empty: "No mail is waiting or failed.",
    mail_kind: "Kind",
    mail_to: "To",
    mail_subject: "Subject",
    mail_attempts: "Tries",
    mail_next: "Next try (UTC)",
    mail_error: "Last error",
    mail_pending: "waiting",
    mail_failed: "failed",
    mail_retry: "Send again",
    mail_retried: "The mail is queued to be sent again.",
    kind_invitation_sent: "invitation sent",
    kind_password_set_by_invitation: "password set by invitation",
    kind_password_reset_requested: "password reset requested",
    kind_password_reset: "password reset",
};

pub static SV: Msgs = Msgs {
    app_name: "Licensportalen",
    skip_to_content: "Hoppa till innehållet",
    language_name: "Svenska",
    other_language_label: "English",
    sign_in_title: "Logga in",
    email: "E-post",
    password: "Lösenord",
    sign_in: "Logga in",
    sign_in_failed: "E-postadressen eller lösenordet är fel, eller så kan inloggningen inte användas just nu.",
    sign_out: "Logga ut",
    nav_overview: "Översikt",
    nav_order: "Beställ licenser",
    nav_orders: "Beställningar",
    nav_users: "Användare",
    nav_reports: "Rapporter",
    nav_staff_orders: "Beställningar",
    nav_accounts: "Konton",
    nav_audit: "Logg",
    nav_me: "Dina inställningar",
    header_owned: "ägda",
    header_counted: "räknade",
    me_title: "Dina inställningar",
    me_language: "Språk",
    save: "Spara",
    change_password: "Byt lösenord",
    old_password: "Nuvarande lösenord",
    new_password: "Nytt lösenord",
    password_rules: "12 till 128 tecken, vilka du vill; inte ett av de vanligaste lösenorden och inte din e-postadress.",
    wrong_old_password: "Det nuvarande lösenordet är fel.",
    password_changed: "Ditt lösenord är bytt; dina andra sessioner är avslutade.",
    language_saved: "Språket är sparat.",
    your_sessions: "Dina sessioner",
    session_started: "Startad (UTC)",
    session_last_seen: "Senast aktiv (UTC)",
    session_browser: "Webbläsare",
    this_session: "den här sessionen",
    end_other_sessions: "Avsluta mina andra sessioner",
    other_sessions_ended: "Dina andra sessioner är avslutade.",
    licenses_owned: "Ägda licenser",
    active_users_now: "Aktiva användare nu",
    licenses_free: "Lediga licenser",
    licenses_short: "Licenser som saknas",
    pending_orders: "Väntande beställningar",
    latest_orders: "Senaste beställningarna",
    no_orders: "Inga beställningar ännu.",
    order_title: "Beställ licenser",
    order_field_label: "Beställ licenser",
    order_field_hint: "Hur många licenser som ska läggas till: ett heltal från 1 till",
    reference_label: "Beställningsreferens / inköpsordernummer (valfritt)",
    reference_hint: "Högst 64 tecken; syns för supporten och på fakturan.",
    place_order: "Skicka beställningen",
    form_expired: "Formuläret har gått ut; skicka igen.",
    before_you_order: "Innan du beställer",
    before_you_order_intro: "Kontrollera att ingen som har slutat fortfarande räknas.",
    group_passive: "Passiva (räknas inte)",
    group_ended: "Aktiva men efter slutdatum (räknas inte)",
    group_ending_soon: "Slutdatum inom 30 dagar (räknas, slutar snart)",
    group_future_start: "Startdatum i framtiden (räknas)",
    suggested: "Föreslaget antal",
    errors_summary: "Rätta följande:",
    order: "Beställning",
    orders_title: "Beställningar",
    quantity: "Antal",
    reference: "Referens",
    status: "Status",
    ordered_by: "Beställd av",
    ordered_at: "Beställd (UTC)",
    decided_by: "Beslutad av",
    decided_at: "Beslutad (UTC)",
    decision_note: "Kommentar till beslutet",
    account: "Konto",
    cancel_order: "Avbryt beställningen",
    order_placed: "Din beställning är skickad och väntar på granskning.",
    order_cancelled: "Beställningen är avbruten.",
    status_pending: "väntar",
    status_approved: "godkänd",
    status_rejected: "avslagen",
    status_cancelled: "avbruten",
    none: "ingen",
    queue_title: "Beställningar att granska",
    approve: "Godkänn",
    reject: "Avslå",
    note: "Kommentar",
    note_required: "En kommentar krävs för att avslå en beställning.",
    order_approved: "Beställningen är godkänd; licenserna är tillagda.",
    order_rejected: "Beställningen är avslagen.",
    queue_empty: "Inga beställningar här.",
    accounts_title: "Konton",
    name: "Namn",
    time_zone: "Tidszon",
    create_account: "Skapa konto",
    account_created: "Kontot är skapat.",
    adjust_licenses: "Justera licenser",
    change: "Ändring",
    change_hint: "Ett tal med tecken, till exempel +10 eller -3.",
    reason: "Anledning",
    licenses_adjusted: "Licenserna är justerade.",
    logins: "Inloggningar",
    role: "Roll",
    create_login: "Skapa inloggning",
    login_created: "Inloggningen är skapad.",
    disable: "Stäng av",
    enable: "Aktivera",
    disabled: "avstängd",
    login_disabled: "Inloggningen är avstängd och dess sessioner avslutade.",
    login_enabled: "Inloggningen är aktiverad.",
    email_taken: "Det finns redan en inloggning med den här e-postadressen.",
    audit_title: "Händelselogg",
    audit_at: "När (UTC)",
    audit_kind: "Händelse",
    audit_details: "Detaljer",
    audit_who: "Inloggning",
    all_accounts: "Alla konton",
    show: "Visa",
    role_contact: "kontaktperson",
    role_viewer: "läsare",
    role_staff: "support",
    error_title: "Något stoppade begäran",
    error_400: "Begäran var felaktigt utformad.",
    error_403: "Du får inte göra detta, eller så skickades formuläret inte från portalen. Ladda om sidan och försök igen.",
    error_404: "Sidan finns inte.",
    error_405: "Adressen tar inte emot den sortens begäran.",
    error_409: "Det här var redan beslutat eller gjort; inget ändrades.",
    error_429: "För många misslyckade försök har kommit från din adress. Vänta några minuter och försök sedan igen.",
    error_413: "Det som skickades är för stort.",
    error_415: "Det som skickades är inte ett formulär.",
    error_422: "Några värden godtogs inte.",
    error_500: "Något gick fel hos oss; inget ändrades. Försök igen.",
    error_503: "Portalen är upptagen eller databasen svarar inte. Försök igen om en stund.",
    back_home: "Tillbaka till startsidan",
    err_quantity: "Ange ett heltal från 1 till maxantalet per beställning, endast siffrorna 0-9.",
    err_reference: "Referensen får vara högst 64 tecken.",
    err_password_length: "Lösenordet måste vara 12 till 128 tecken långt.",
    err_password_common: "Det lösenordet hör till de vanligaste, som angripare provar först (även med siffror eller tecken på slutet). Välj ett annat: några ord som inte hör ihop blir ett bra lösenord.",
    err_password_email: "Lösenordet får inte innehålla din e-postadress eller delen före @.",
    err_adjustment: "Ange ett heltal med tecken, skilt från noll, till exempel +10 eller -3.",
    err_required: "Fältet måste fyllas i.",
    err_email: "Ange en e-postadress.",
    err_date: "Ange ett datum som ÅÅÅÅ-MM-DD.",
    err_time_zone: "Ange en IANA-tidszon, till exempel Europe/Stockholm.",
    err_number: "Ange ett heltal, 0 eller mer.",
    err_too_long: "Texten är för lång.",
    err_license_bounds: "Licenserna skulle bli färre än 0 eller fler än maxantalet.",
    err_role: "Välj kontaktperson, läsare eller support.",
    err_account: "Kontaktpersoner och läsare behöver ett konto; support har inget.",
    user_saved: "Användaren är sparad.",
    audit_cli: "kommandoraden",
    kind_account_created: "konto skapat",
    kind_login_created: "inloggning skapad",
    kind_login_disabled: "inloggning avstängd",
    kind_login_enabled: "inloggning aktiverad",
    kind_password_changed: "lösenord bytt",
    kind_order_placed: "beställning lagd",
    kind_order_cancelled: "beställning avbruten",
    kind_order_approved: "beställning godkänd",
    kind_order_rejected: "beställning avslagen",
    kind_licenses_adjusted: "licenser justerade",
    kind_user_changed: "användare ändrad",
    kind_users_imported: "användare importerade",
    kind_language_changed: "språk ändrat",
    report_no_list: "För en dag före i dag sparas bara antalet; det finns ingen lista att ladda ner.",
    users_title: "Användare",
    filter_all: "Alla",
    filter_counted: "Räknade",
    filter_passive: "Passiva",
    filter_ended: "Efter slutdatum",
    filter_ending_soon: "Slutar inom 30 dagar",
    filter_future_start: "Börjar i framtiden",
    search_label: "Sök namn eller anställningsnummer",
    search: "Sök",
    employee_number: "Anställningsnummer",
    start_date: "Startdatum",
    end_date: "Slutdatum",
    end_date_hint: "ÅÅÅÅ-MM-DD, tomt för inget",
    counted_reason: "Räknas?",
    user_status_active: "aktiv",
    user_status_passive: "passiv",
    no_users: "Inga användare matchar.",
    previous_page: "Föregående sida",
    next_page: "Nästa sida",
    change_user: "Spara",
    err_end_before_start: "Slutdatumet får inte vara före startdatumet.",
    report_title: "Rapport över aktiva användare",
    report_day: "Dag",
    report_count: "Aktiva användare den dagen",
    report_from_snapshot: "En tidigare dag: antalet som registrerades den dagen.",
    report_no_record: "Det finns ingen registrering för den dagen.",
    download_csv: "Ladda ner CSV",
    chart_title: "Historik och prognos för aktiva användare",
    chart_history: "Registrerade aktiva användare",
    chart_licenses: "Ägda licenser",
    chart_forecast: "Prognos utifrån slutdatum",
    frees_up: "Frigör licenser",
    frees_up_none: "Inga slutdatum de närmaste 90 dagarna.",
    import_users: "Importera användare (CSV)",
    import_file: "CSV-fil",
    import_hint: "Rubrik: employee_number,name,status,start_date,end_date. Alla rader eller ingen.",
    import_failed: "Filen importerades inte:",
    import_missing_file: "Välj en CSV-fil.",
    show_report: "Visa",
    users_imported: "Användarna är importerade.",
    nav_outbox: "E-post",
    login_actions: "Åtgärder",
    error_410: "Den här länken fungerar inte längre.",
    forgot_password: "Glömt ditt lösenord?",
    reset_title: "Glömt ditt lösenord?",
    reset_intro: "Skriv e-postadressen du loggar in med. Vi skickar en länk dit där du väljer ett nytt lösenord; länken gäller i en timme.",
    reset_send: "Skicka länken",
    reset_sent: "Om det finns en inloggning för den adressen är en länk på väg. Titta i inkorgen; länken gäller i en timme.",
    back_to_sign_in: "Tillbaka till inloggningen",
    set_password_title: "Välj ditt lösenord",
    set_password_intro: "Välj lösenordet du ska logga in med.",
    password_confirm: "Samma lösenord igen",
    set_password_button: "Spara lösenordet och logga in",
    err_password_mismatch: "De två lösenorden är inte likadana.",
    link_gone_title: "Den här länken fungerar inte längre",
    link_gone_text: "En länk fungerar en gång och under begränsad tid: en inbjudan i 7 dagar, en lösenordsåterställning i en timme. En nyare inbjudan avslutar också en äldre. Be om en ny länk nedan, eller be er leverantörs support att bjuda in dig igen.",
    link_gone_action: "Be om en ny lösenordslänk",
    invite_login: "Bjud in",
    invite_hint: "Inloggningen får ett mejl med en länk där den väljer sitt eget lösenord; ingen annan ser eller skriver det.",
    resend_invitation: "Skicka en ny inbjudan",
    state_invited_until: "inbjuden, länken gäller till",
    state_invitation_expired: "inbjuden, länken har gått ut",
    state_active: "aktiv",
    state_locked: "spärrad",
    invitation_sent: "Inbjudan är på väg.",
    outbox_title: "E-post som väntar eller misslyckats",
    outbox_intro: "Servern skickar mejlen så snart ändringen de berättar om är sparad. Ett mejl som inte kunde skickas försöks igen efter 30 sekunder och sedan med fördubblad väntan upp till en timme; efter 10 försök har det misslyckats och väntar här på dig.",
    outbox_empty: "Inga mejl väntar eller har misslyckats.",
    mail_kind: "Typ",
    mail_to: "Till",
    mail_subject: "Ämne",
    mail_attempts: "Försök",
    mail_next: "Nästa försök (UTC)",
    mail_error: "Senaste fel",
    mail_pending: "väntar",
    mail_failed: "misslyckades",
    mail_retry: "Skicka igen",
    mail_retried: "Mejlet står i kö för att skickas igen.",
    kind_invitation_sent: "inbjudan skickad",
    kind_password_set_by_invitation: "lösenord valt via inbjudan",
    kind_password_reset_requested: "lösenordsåterställning begärd",
    kind_password_reset: "lösenord återställt",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        assert_eq!(Lang::from_accept_language(None), Lang::En);
        assert_eq!(
            Lang::from_accept_language(Some("sv-SE,sv;q=0.9,en;q=0.8")),
            Lang::Sv
        );
        assert_eq!(
            Lang::from_accept_language(Some("de,en;q=0.5,sv;q=0.7")),
            Lang::Sv
        );
        assert_eq!(Lang::from_accept_language(Some("fr")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("sv;q=0")), Lang::En);
    }

    #[test]
    fn every_key_has_a_message_in_both_languages() {
        let en = EN.entries();
        let sv = SV.entries();
        assert_eq!(en.len(), sv.len());
        for ((key, english), (sv_key, swedish)) in en.iter().zip(sv.iter()) {
            assert_eq!(key, sv_key);
            assert!(!english.trim().is_empty(), "{key} has no English");
            assert!(!swedish.trim().is_empty(), "{key} has no Swedish");
        }
    }

    #[test]
    fn numbers_are_grouped_per_language() {
        assert_eq!(Lang::En.num(10000), "10,000");
        assert_eq!(Lang::Sv.num(1234567), "1\u{a0}234\u{a0}567");
        assert_eq!(Lang::En.num(-5), "\u{2212}5");
        assert_eq!(Lang::En.num(999), "999");
    }
}
