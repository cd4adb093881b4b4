//! `audit_events`: one row for every change of licenses, orders, users and
//! logins, written in the same transaction as the change. Built by named
//! constructors so each kind has one shape.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use crate::db::schema::audit_events;
use crate::db::DbConnection;
pub use crate::domain::audit::AuditKind;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = audit_events)]
pub struct AuditEvent {
    pub id: i64,
    pub at: NaiveDateTime,
    pub login_id: Option<i64>,
    pub account_id: Option<i64>,
    #[diesel(deserialize_as = String)]
    pub kind: AuditKind,
    pub details: String,
}

/// An event about to be written.
#[derive(Debug, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent {
    pub at: NaiveDateTime,
    pub login_id: Option<i64>,
    pub account_id: Option<i64>,
    pub kind: &'static str,
    pub details: String,
}

impl NewAuditEvent {
    fn new(
        login_id: Option<i64>,
        account_id: Option<i64>,
        kind: AuditKind,
        details: serde_json::Value,
    ) -> Self {
        NewAuditEvent {
            at: super::now_utc(),
            login_id,
            account_id,
            kind: kind.as_str(),
            details: details.to_string(),
        }
    }

    /// Name the API token a change came through (SPEC 9), when it did.
    pub fn via(mut self, token: Option<&super::api_token::ApiToken>) -> Self {
        if let Some(token) = token {
            if let Ok(serde_json::Value::Object(mut map)) =
                serde_json::from_str::<serde_json::Value>(&self.details)
            {
                map.insert("token_id".into(), json!(token.id));
                map.insert("token".into(), json!(token.prefix));
                map.insert("token_name".into(), json!(token.name));
                self.details = serde_json::Value::Object(map).to_string();
            }
        }
        self
    }

    /// Write it (inside the caller's transaction).
    pub fn insert(&self, conn: &mut DbConnection) -> QueryResult<()> {
        diesel::insert_into(audit_events::table)
            .values(self)
            .execute(conn)?;
        Ok(())
    }
}

impl AuditEvent {
    pub fn account_created(
        by: Option<i64>,
        account_id: i64,
        name: &str,
        licenses: i64,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            by,
            Some(account_id),
            AuditKind::AccountCreated,
            json!({"name": name, "licenses": licenses}),
        )
    }

    pub fn login_created(
        by: Option<i64>,
        account_id: Option<i64>,
        login_id: i64,
        email: &str,
        role: crate::domain::roles::Role,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            by,
            account_id,
            AuditKind::LoginCreated,
            json!({"login_id": login_id, "email": email, "role": role.as_str()}),
        )
    }

    pub fn login_disabled(
        by: Option<i64>,
        account_id: Option<i64>,
        login_id: i64,
        email: &str,
        disabled: bool,
    ) -> NewAuditEvent {
        let kind = if disabled {
            AuditKind::LoginDisabled
        } else {
            AuditKind::LoginEnabled
        };
        NewAuditEvent::new(
            by,
            account_id,
            kind,
            json!({"login_id": login_id, "email": email}),
        )
    }

    pub fn password_changed(login_id: i64, account_id: Option<i64>) -> NewAuditEvent {
        NewAuditEvent::new(
            Some(login_id),
            account_id,
            AuditKind::PasswordChanged,
            json!({"login_id": login_id}),
        )
    }

    pub fn invitation_sent(
        by: Option<i64>,
        account_id: Option<i64>,
        login_id: i64,
        email: &str,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            by,
            account_id,
            AuditKind::InvitationSent,
            json!({"login_id": login_id, "email": email}),
        )
    }

    pub fn password_set_by_invitation(login_id: i64, account_id: Option<i64>) -> NewAuditEvent {
        NewAuditEvent::new(
            Some(login_id),
            account_id,
            AuditKind::PasswordSetByInvitation,
            json!({"login_id": login_id}),
        )
    }

    /// Recorded for a known login only (the page answers the same for any
    /// address).
    pub fn password_reset_requested(login_id: i64, account_id: Option<i64>) -> NewAuditEvent {
        NewAuditEvent::new(
            Some(login_id),
            account_id,
            AuditKind::PasswordResetRequested,
            json!({"login_id": login_id}),
        )
    }

    pub fn password_reset(login_id: i64, account_id: Option<i64>) -> NewAuditEvent {
        NewAuditEvent::new(
            Some(login_id),
            account_id,
            AuditKind::PasswordReset,
            json!({"login_id": login_id}),
        )
    }

    /// A two-step event of a login: `two_step_on`, `two_step_off`,
    /// `two_step_reset` (by staff or the command line), `recovery_codes_renewed`,
    /// `recovery_code_used`, `two_step_replay_refused`.
    pub fn two_step(
        kind: AuditKind,
        by: Option<i64>,
        account_id: Option<i64>,
        login_id: i64,
    ) -> NewAuditEvent {
        NewAuditEvent::new(by, account_id, kind, json!({"login_id": login_id}))
    }

    pub fn language_changed(
        login_id: i64,
        account_id: Option<i64>,
        language: &str,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            Some(login_id),
            account_id,
            AuditKind::LanguageChanged,
            json!({"login_id": login_id, "language": language}),
        )
    }

    pub fn order_placed(
        by: i64,
        account_id: i64,
        order_id: i64,
        quantity: i64,
        reference: Option<&str>,
        licenses_owned: i64,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            Some(by),
            Some(account_id),
            AuditKind::OrderPlaced,
            json!({"order_id": order_id, "quantity": quantity, "reference": reference, "licenses_owned": licenses_owned}),
        )
    }

    pub fn order_cancelled(by: i64, account_id: i64, order_id: i64) -> NewAuditEvent {
        NewAuditEvent::new(
            Some(by),
            Some(account_id),
            AuditKind::OrderCancelled,
            json!({"order_id": order_id}),
        )
    }

    pub fn order_approved(
        by: Option<i64>,
        account_id: i64,
        order_id: i64,
        quantity: i64,
        licenses_before: i64,
        licenses_after: i64,
        note: Option<&str>,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            by,
            Some(account_id),
            AuditKind::OrderApproved,
            json!({"order_id": order_id, "quantity": quantity, "licenses_before": licenses_before, "licenses_after": licenses_after, "note": note}),
        )
    }

    pub fn order_auto_approved(
        account_id: i64,
        order_id: i64,
        quantity: i64,
        licenses_before: i64,
        licenses_after: i64,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            None,
            Some(account_id),
            AuditKind::OrderAutoApproved,
            json!({"order_id": order_id, "quantity": quantity, "licenses_before": licenses_before, "licenses_after": licenses_after}),
        )
    }

    pub fn rule_changed(
        by: i64,
        account_id: i64,
        before: crate::domain::orders::Rule,
        after: crate::domain::orders::Rule,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            Some(by),
            Some(account_id),
            AuditKind::RuleChanged,
            json!({
                "before": {"max_quantity": before.max_quantity, "max_per_30_days": before.max_per_30_days},
                "after": {"max_quantity": after.max_quantity, "max_per_30_days": after.max_per_30_days},
            }),
        )
    }

    pub fn alerts_changed(
        by: i64,
        account_id: i64,
        before: crate::domain::warnings::Alerts,
        after: crate::domain::warnings::Alerts,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            Some(by),
            Some(account_id),
            AuditKind::AlertsChanged,
            json!({
                "before": {"threshold_percent": before.threshold_percent, "look_ahead_days": before.look_ahead_days},
                "after": {"threshold_percent": after.threshold_percent, "look_ahead_days": after.look_ahead_days},
            }),
        )
    }

    pub fn agreement_changed(
        by: i64,
        account_id: i64,
        before: &crate::domain::money::Agreement,
        after: &crate::domain::money::Agreement,
    ) -> NewAuditEvent {
        let fields = |a: &crate::domain::money::Agreement| json!({"price_minor": a.price_minor, "currency": a.currency, "billing": a.billing, "renews_on": a.renews_on});
        NewAuditEvent::new(
            Some(by),
            Some(account_id),
            AuditKind::AgreementChanged,
            json!({"before": fields(before), "after": fields(after)}),
        )
    }

    pub fn warnings_by_mail_changed(by: i64, account_id: Option<i64>, on: bool) -> NewAuditEvent {
        NewAuditEvent::new(
            Some(by),
            account_id,
            AuditKind::WarningsByMailChanged,
            json!({ "warnings_by_mail": on }),
        )
    }

    pub fn order_rejected(
        by: Option<i64>,
        account_id: i64,
        order_id: i64,
        note: &str,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            by,
            Some(account_id),
            AuditKind::OrderRejected,
            json!({"order_id": order_id, "note": note}),
        )
    }

    pub fn licenses_adjusted(
        by: Option<i64>,
        account_id: i64,
        change: i64,
        before: i64,
        after: i64,
        reason: &str,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            by,
            Some(account_id),
            AuditKind::LicensesAdjusted,
            json!({"change": change, "licenses_before": before, "licenses_after": after, "reason": reason}),
        )
    }

    pub fn user_changed(
        by: i64,
        account_id: i64,
        user_id: i64,
        employee_number: &str,
        status: &str,
        end_date: Option<chrono::NaiveDate>,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            Some(by),
            Some(account_id),
            AuditKind::UserChanged,
            json!({"user_id": user_id, "employee_number": employee_number, "status": status, "end_date": end_date.map(|d| d.to_string())}),
        )
    }

    /// A users sync through the API (SPEC 9).
    pub fn users_synced(
        by: Option<i64>,
        account_id: i64,
        created: usize,
        updated: usize,
        unchanged: usize,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            by,
            Some(account_id),
            AuditKind::UsersSynced,
            json!({"created": created, "updated": updated, "unchanged": unchanged}),
        )
    }

    /// An API token made (its text is never recorded).
    pub fn api_token_created(by: Option<i64>, token: &super::api_token::ApiToken) -> NewAuditEvent {
        NewAuditEvent::new(
            by,
            token.account_id,
            AuditKind::ApiTokenCreated,
            json!({"token_id": token.id, "token": token.prefix, "name": token.name, "scope": token.scope.as_str(), "expires_at": token.expires_at.map(|t| t.to_string())}),
        )
    }

    pub fn api_token_revoked(by: Option<i64>, token: &super::api_token::ApiToken) -> NewAuditEvent {
        NewAuditEvent::new(
            by,
            token.account_id,
            AuditKind::ApiTokenRevoked,
            json!({"token_id": token.id, "token": token.prefix, "name": token.name}),
        )
    }

    pub fn users_imported(
        by: Option<i64>,
        account_id: i64,
        inserted: usize,
        updated: usize,
    ) -> NewAuditEvent {
        NewAuditEvent::new(
            by,
            Some(account_id),
            AuditKind::UsersImported,
            json!({"inserted": inserted, "updated": updated}),
        )
    }

    /// Newest first, optionally for one account.
    pub fn list(
        conn: &mut DbConnection,
        account_id: Option<i64>,
        offset: i64,
        limit: i64,
    ) -> QueryResult<(Vec<AuditEvent>, i64)> {
        let filtered = || {
            let mut query = audit_events::table.into_boxed::<crate::db::MultiBackend>();
            if let Some(id) = account_id {
                query = query.filter(audit_events::account_id.eq(id));
            }
            query
        };
        let total = filtered().count().get_result(conn)?;
        let rows = filtered()
            .order(audit_events::id.desc())
            .offset(offset)
            .limit(limit)
            .select(AuditEvent::as_select())
            .load(conn)?;
        Ok((rows, total))
    }

    /// The licenses the account owned when it placed the order, as its
    /// `order_placed` event recorded them.
    /// `licenses_when_ordered` of many orders, reading each account's
    /// `order_placed` events from the earliest of the orders on, once.
    pub fn licenses_when_ordered_many(
        conn: &mut DbConnection,
        orders: &[&super::LicenseOrder],
    ) -> QueryResult<std::collections::HashMap<i64, i64>> {
        let mut out = std::collections::HashMap::new();
        let Some(earliest) = orders.iter().map(|o| o.ordered_at).min() else {
            return Ok(out);
        };
        let mut accounts: Vec<i64> = orders.iter().map(|o| o.account_id).collect();
        accounts.sort_unstable();
        accounts.dedup();
        let wanted: std::collections::HashSet<i64> = orders.iter().map(|o| o.id).collect();
        let details: Vec<String> = audit_events::table
            .filter(audit_events::account_id.eq_any(accounts))
            .filter(audit_events::kind.eq(AuditKind::OrderPlaced.as_str()))
            .filter(audit_events::at.ge(earliest - chrono::Duration::minutes(1)))
            .select(audit_events::details)
            .load(conn)?;
        for d in details {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&d) else {
                continue;
            };
            if let (Some(order), Some(owned)) = (
                v.get("order_id").and_then(|x| x.as_i64()),
                v.get("licenses_owned").and_then(|x| x.as_i64()),
            ) {
                if wanted.contains(&order) {
                    out.insert(order, owned);
                }
            }
        }
        Ok(out)
    }

    pub fn licenses_when_ordered(
        conn: &mut DbConnection,
        account_id: i64,
        order_id: i64,
    ) -> QueryResult<Option<i64>> {
        let details: Vec<String> = audit_events::table
            .filter(audit_events::account_id.eq(account_id))
            .filter(audit_events::kind.eq(AuditKind::OrderPlaced.as_str()))
            .select(audit_events::details)
            .load(conn)?;
        Ok(details.iter().find_map(|d| {
            let v: serde_json::Value = serde_json::from_str(d).ok()?;
            (v.get("order_id")?.as_i64()? == order_id).then(|| v.get("licenses_owned")?.as_i64())?
        }))
    }

    pub fn count_kind(conn: &mut DbConnection, kind: &str) -> QueryResult<i64> {
        audit_events::table
            .filter(audit_events::kind.eq(kind))
            .count()
            .get_result(conn)
    }
}
