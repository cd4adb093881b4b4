//! The tables of SPEC section 3, written by hand in types both backends share.
// @generated shape, kept by hand: BigInt ids, Text, Bool, Date, Timestamp (UTC).

diesel::table! {
    accounts (id) {
        id -> BigInt,
        name -> Text,
        licenses -> BigInt,
        time_zone -> Text,
        created_at -> Timestamp,
        over_licenses_notified -> Bool,
        licenses_until -> Nullable<Date>,
        licenses_ahead -> Nullable<Text>,
        rule_max_quantity -> BigInt,
        rule_max_per_30_days -> BigInt,
        threshold_percent -> Nullable<Integer>,
        look_ahead_days -> Integer,
        threshold_warned -> Bool,
        short_warned_for -> Nullable<Date>,
        price_minor -> Nullable<BigInt>,
        currency -> Nullable<Text>,
        billing -> Nullable<Text>,
        renews_on -> Nullable<Date>,
        renewal_mailed_for -> Nullable<Date>,
    }
}

diesel::table! {
    logins (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        role -> Text,
        account_id -> Nullable<BigInt>,
        disabled -> Bool,
        failed_attempts -> Integer,
        locked_until -> Nullable<Timestamp>,
        language -> Nullable<Text>,
        created_at -> Timestamp,
        totp_secret -> Nullable<Text>,
        totp_last_step -> Nullable<BigInt>,
        warnings_by_mail -> Bool,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        login_id -> BigInt,
        code_hash -> Text,
        created_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        account_id -> BigInt,
        employee_number -> Text,
        name -> Text,
        status -> Text,
        start_date -> Date,
        end_date -> Nullable<Date>,
        unit -> Nullable<Text>,
    }
}

diesel::table! {
    license_orders (id) {
        id -> BigInt,
        account_id -> BigInt,
        quantity -> BigInt,
        reference -> Nullable<Text>,
        status -> Text,
        form_token -> Text,
        ordered_by -> BigInt,
        ordered_at -> Timestamp,
        decided_by -> Nullable<BigInt>,
        decided_at -> Nullable<Timestamp>,
        decision_note -> Nullable<Text>,
        kind -> Text,
        starts_on -> Nullable<Date>,
        ends_on -> Nullable<Date>,
        by_rule -> Bool,
        price_minor -> Nullable<BigInt>,
        currency -> Nullable<Text>,
        cost_minor -> Nullable<BigInt>,
    }
}

diesel::table! {
    order_messages (id) {
        id -> BigInt,
        order_id -> BigInt,
        login_id -> Nullable<BigInt>,
        at -> Timestamp,
        body -> Text,
    }
}

diesel::table! {
    license_ledger (id) {
        id -> BigInt,
        account_id -> BigInt,
        change -> BigInt,
        starts_on -> Date,
        ends_on -> Nullable<Date>,
        kind -> Text,
        order_id -> Nullable<BigInt>,
        login_id -> Nullable<BigInt>,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
        ending_mailed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        at -> Timestamp,
        login_id -> Nullable<BigInt>,
        account_id -> Nullable<BigInt>,
        kind -> Text,
        details -> Text,
    }
}

diesel::table! {
    active_user_snapshots (account_id, day) {
        account_id -> BigInt,
        day -> Date,
        active_users -> BigInt,
        licenses -> BigInt,
    }
}

diesel::table! {
    /// Active users per account and end date (9999-12-31 for none), kept by
    /// triggers on `users`.
    user_counts (account_id, end_date) {
        account_id -> BigInt,
        end_date -> Date,
        active_users -> Integer,
    }
}

diesel::table! {
    /// Active users per account, unit ('' for none) and end date, kept by
    /// triggers on `users` as `user_counts` is.
    unit_counts (account_id, unit, end_date) {
        account_id -> BigInt,
        unit -> Text,
        end_date -> Date,
        active_users -> Integer,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        login_id -> Nullable<BigInt>,
        state -> Text,
        user_agent -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        wrong_codes -> Integer,
    }
}

diesel::table! {
    portal_settings (name) {
        name -> Text,
        value -> Text,
    }
}

diesel::table! {
    outbox (id) {
        id -> BigInt,
        kind -> Text,
        to_address -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamp,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        status -> Text,
    }
}

diesel::table! {
    login_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        purpose -> Text,
        login_id -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        token_hash -> Text,
        prefix -> Text,
        name -> Text,
        scope -> Text,
        account_id -> Nullable<BigInt>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    api_idempotency_keys (token_id, idempotency_key) {
        token_id -> BigInt,
        idempotency_key -> Text,
        body_hash -> Text,
        order_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    user_versions (id) {
        id -> BigInt,
        user_id -> BigInt,
        account_id -> BigInt,
        employee_number -> Text,
        name -> Text,
        status -> Text,
        start_date -> Date,
        end_date -> Nullable<Date>,
        valid_from -> Timestamp,
        valid_to -> Nullable<Timestamp>,
        changed_by -> Text,
        unit -> Nullable<Text>,
    }
}

diesel::joinable!(login_tokens -> logins (login_id));
diesel::joinable!(recovery_codes -> logins (login_id));
diesel::joinable!(logins -> accounts (account_id));
diesel::joinable!(users -> accounts (account_id));
diesel::joinable!(license_orders -> accounts (account_id));
diesel::joinable!(license_ledger -> accounts (account_id));
diesel::joinable!(order_messages -> license_orders (order_id));
diesel::joinable!(order_messages -> logins (login_id));
diesel::joinable!(active_user_snapshots -> accounts (account_id));
diesel::joinable!(user_counts -> accounts (account_id));

diesel::allow_tables_to_appear_in_same_query!(
    accounts,
    logins,
    users,
    license_orders,
    audit_events,
    active_user_snapshots,
    user_counts,
    unit_counts,
    sessions,
    portal_settings,
    outbox,
    login_tokens,
    recovery_codes,
    api_tokens,
    api_idempotency_keys,
    user_versions,
    license_ledger,
    order_messages,
);
