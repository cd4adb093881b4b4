//! The JSON bodies of the API (SPEC 9), with their OpenAPI schemas.

use chrono::{NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::counting::{CountReason, UserStatus};
use crate::domain::orders::{OrderKind, OrderStatus};
use crate::models::{LicenseOrder, User};

/// An account's figures.
#[derive(Serialize, ToSchema)]
pub struct AccountBody {
    pub id: i64,
    pub name: String,
    /// IANA time zone; "today" is the date there.
    pub time_zone: String,
    #[schema(format = Date)]
    pub today: String,
    pub licenses: i64,
    /// Users counted today.
    pub active_users: i64,
    /// Licenses less counted users; negative when over.
    pub free_licenses: i64,
    /// What pending orders ask for in all.
    pub pending_quantity: i64,
    /// Each future day on which the licenses owned take a new figure
    /// (`day` its first day), oldest first: temporary licenses ending,
    /// dated orders starting (one account's answer only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub licenses_changes: Option<Vec<LicensesOnBody>>,
}

/// The licenses owned from a day on.
#[derive(Serialize, ToSchema)]
pub struct LicensesOnBody {
    #[schema(format = Date)]
    pub day: String,
    pub licenses: i64,
}

/// A row of the license ledger (SPEC 12).
#[derive(Serialize, ToSchema)]
pub struct LedgerEntryBody {
    pub id: i64,
    /// The first day it counts (the account's time zone).
    #[schema(format = Date)]
    pub starts_on: String,
    /// The last day it counts; null: for good.
    #[schema(format = Date)]
    pub ends_on: Option<String>,
    /// Signed: a reduction or a negative adjustment is below 0.
    pub change: i64,
    /// `initial`, `order` or `adjustment`.
    pub kind: String,
    pub order_id: Option<i64>,
    /// An adjustment's reason.
    pub reason: Option<String>,
}

/// `GET /api/v1/licenses`: the ledger, newest first, and the licenses
/// owned from each day the figure changes, oldest first.
#[derive(Serialize, ToSchema)]
pub struct LicensesBody {
    pub entries: Vec<LedgerEntryBody>,
    pub timeline: Vec<LicensesOnBody>,
}

#[derive(Serialize, ToSchema)]
pub struct AccountList {
    pub accounts: Vec<AccountBody>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

#[derive(Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusJson {
    Active,
    Passive,
}

impl From<UserStatus> for StatusJson {
    fn from(s: UserStatus) -> Self {
        match s {
            UserStatus::Active => StatusJson::Active,
            UserStatus::Passive => StatusJson::Passive,
        }
    }
}

/// Why a user is or is not counted.
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReasonJson {
    Counted,
    CountedFutureStart,
    Passive,
    Ended,
}

/// A user and whether it is counted on the day asked about.
#[derive(Serialize, ToSchema)]
pub struct UserBody {
    pub employee_number: String,
    pub name: String,
    pub status: StatusJson,
    #[schema(format = Date)]
    pub start_date: String,
    #[schema(format = Date)]
    pub end_date: Option<String>,
    pub counted: bool,
    pub reason: ReasonJson,
}

impl UserBody {
    pub fn of(user: &User, day: NaiveDate) -> UserBody {
        let reason = user.reason(day);
        UserBody {
            employee_number: user.employee_number.clone(),
            name: user.name.clone(),
            status: user.status.into(),
            start_date: user.start_date.to_string(),
            end_date: user.end_date.map(|d| d.to_string()),
            counted: reason.is_counted(),
            reason: match reason {
                CountReason::Counted => ReasonJson::Counted,
                CountReason::CountedStartsOn(_) => ReasonJson::CountedFutureStart,
                CountReason::Passive => ReasonJson::Passive,
                CountReason::EndedOn(_) => ReasonJson::Ended,
            },
        }
    }
}

/// Which users a list shows (without it, all of them).
#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum FilterJson {
    Counted,
    Passive,
    Ended,
    EndingSoon,
    FutureStart,
}

#[derive(Serialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserBody>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// The active-user report of a day.
#[derive(Serialize, ToSchema)]
pub struct ReportBody {
    #[schema(format = Date)]
    pub day: String,
    pub active_users: i64,
    pub licenses: i64,
    /// The counted users; for a day before today as they stood at the end of that day, from history (empty before any history, when only its count is kept).
    pub users: Vec<UserBody>,
}

#[derive(Serialize, ToSchema)]
pub struct DayBody {
    #[schema(format = Date)]
    pub day: String,
    pub active_users: i64,
    pub licenses: i64,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryBody {
    pub days: Vec<DayBody>,
}

/// A new order: once approved it adds (or, `kind` `reduce`, takes away)
/// `quantity` licenses, for good or, with `ends_on`, for a period.
#[derive(Serialize, ToSchema)]
pub struct OrderRequest {
    #[schema(minimum = 1, maximum = 10000)]
    pub quantity: i64,
    /// Your order reference or PO number: up to 64 characters, none of
    /// them a control character (C0, DEL or C1).
    #[schema(max_length = 64, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub reference: Option<String>,
    /// `add` (the default) or `reduce`.
    pub kind: Option<OrderKindJson>,
    /// The first day (YYYY-MM-DD, the account's time zone): not before
    /// today (a reduction: tomorrow; its default the first of next month).
    #[schema(format = Date)]
    pub starts_on: Option<String>,
    /// The last day of temporary licenses, both ends counted, at most 366
    /// days; an addition only.
    #[schema(format = Date)]
    pub ends_on: Option<String>,
}

#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrderKindJson {
    Add,
    Reduce,
}

impl From<OrderKind> for OrderKindJson {
    fn from(k: OrderKind) -> Self {
        match k {
            OrderKind::Add => OrderKindJson::Add,
            OrderKind::Reduce => OrderKindJson::Reduce,
        }
    }
}

/// A decision's note: optional to approve, required to reject.
#[derive(Serialize, ToSchema)]
pub struct NoteRequest {
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

#[derive(Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum OrderStatusJson {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

impl From<OrderStatus> for OrderStatusJson {
    fn from(s: OrderStatus) -> Self {
        match s {
            OrderStatus::Pending => OrderStatusJson::Pending,
            OrderStatus::Approved => OrderStatusJson::Approved,
            OrderStatus::Rejected => OrderStatusJson::Rejected,
            OrderStatus::Cancelled => OrderStatusJson::Cancelled,
        }
    }
}

/// An order, times in UTC (RFC 3339).
#[derive(Serialize, ToSchema)]
pub struct OrderBody {
    pub id: i64,
    pub account_id: i64,
    pub quantity: i64,
    pub reference: Option<String>,
    pub status: OrderStatusJson,
    /// The email of the login that ordered (for an order through the API,
    /// the login that made the token).
    pub ordered_by: String,
    #[schema(format = DateTime)]
    pub ordered_at: String,
    #[schema(format = DateTime)]
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
    /// Approved at once by the account's rule when placed (SPEC 13).
    pub approved_by_rule: bool,
    /// The licenses the account owned when the order was placed.
    pub licenses_before: Option<i64>,
    pub kind: OrderKindJson,
    /// The first day it counts, as asked (null: the approval day).
    #[schema(format = Date)]
    pub starts_on: Option<String>,
    /// The last day of temporary licenses (null: for good).
    #[schema(format = Date)]
    pub ends_on: Option<String>,
}

/// RFC 3339 in UTC.
pub fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl OrderBody {
    pub fn of(order: &LicenseOrder, ordered_by: String, licenses_before: Option<i64>) -> OrderBody {
        OrderBody {
            id: order.id,
            account_id: order.account_id,
            quantity: order.quantity,
            reference: order.reference.clone(),
            status: order.status.into(),
            ordered_by,
            ordered_at: rfc3339(order.ordered_at),
            decided_at: order.decided_at.map(rfc3339),
            decision_note: if order.by_rule {
                Some(crate::i18n::EN.approved_by_rule.to_string())
            } else {
                order.decision_note.clone()
            },
            approved_by_rule: order.by_rule,
            licenses_before,
            kind: order.kind.into(),
            starts_on: order.starts_on.map(|d| d.to_string()),
            ends_on: order.ends_on.map(|d| d.to_string()),
        }
    }
}

/// A message on an order (SPEC 13), times in UTC (RFC 3339).
#[derive(Serialize, ToSchema)]
pub struct MessageBody {
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    /// The writer's email, or `vendor` for a vendor token with no login.
    pub from: String,
    /// Plain text as written, line breaks kept.
    pub body: String,
}

impl MessageBody {
    pub fn of(view: crate::models::order_message::MessageView) -> MessageBody {
        MessageBody {
            id: view.message.id,
            at: rfc3339(view.message.at),
            from: view.from.unwrap_or_else(|| "vendor".to_string()),
            body: view.message.body,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MessageList {
    /// Oldest first.
    pub messages: Vec<MessageBody>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageRequest {
    /// 1 to 2,000 characters of plain text.
    #[schema(min_length = 1, max_length = 2000)]
    pub body: String,
}

#[derive(Serialize, ToSchema)]
pub struct OrderList {
    pub orders: Vec<OrderBody>,
    pub page: i64,
    pub per_page: i64,
    pub total: i64,
}

/// One user of a sync, as in a row of the users CSV.
#[derive(Serialize, ToSchema)]
pub struct SyncUser {
    #[schema(min_length = 1, max_length = 64)]
    pub employee_number: String,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub status: StatusJson,
    #[schema(format = Date)]
    pub start_date: String,
    /// Empty or null for none; not before the start date.
    #[schema(format = Date)]
    pub end_date: Option<String>,
}

/// Every user of an account the WFM product knows, at once: all are
/// written or none.
#[derive(Serialize, ToSchema)]
pub struct SyncRequest {
    #[schema(min_items = 1, max_items = 200000)]
    pub users: Vec<SyncUser>,
}

#[derive(Serialize, ToSchema)]
pub struct SyncResult {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

/// A JSON value read loosely, so that a wrong type is named by its field
/// (422) rather than failing the whole body (400), without building a
/// tree of the 100,000 users of a sync.
#[derive(Debug, Default)]
pub enum Loose {
    Text(String),
    #[default]
    Null,
    Other,
}

impl Loose {
    /// The text, "" for null (an empty end date), None for another type.
    pub fn as_cell(&self) -> Option<&str> {
        match self {
            Loose::Text(s) => Some(s),
            Loose::Null => Some(""),
            Loose::Other => None,
        }
    }
}

impl<'de> Deserialize<'de> for Loose {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Loose, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Loose;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_str<E>(self, v: &str) -> Result<Loose, E> {
                Ok(Loose::Text(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Loose, E> {
                Ok(Loose::Text(v))
            }
            fn visit_unit<E>(self) -> Result<Loose, E> {
                Ok(Loose::Null)
            }
            fn visit_none<E>(self) -> Result<Loose, E> {
                Ok(Loose::Null)
            }
            fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Loose, D::Error> {
                Loose::deserialize(d)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Loose, E> {
                Ok(Loose::Other)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Loose, E> {
                Ok(Loose::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Loose, E> {
                Ok(Loose::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Loose, E> {
                Ok(Loose::Other)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut a: A) -> Result<Loose, A::Error> {
                while a.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(Loose::Other)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut a: A) -> Result<Loose, A::Error> {
                while a
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Loose::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// A user of a sync as sent; checked by the import's rules.
#[derive(Deserialize, Default)]
pub struct LooseUser {
    #[serde(default)]
    pub employee_number: Loose,
    #[serde(default)]
    pub name: Loose,
    #[serde(default)]
    pub status: Loose,
    #[serde(default)]
    pub start_date: Loose,
    #[serde(default)]
    pub end_date: Loose,
}

/// The most users one sync may name (the 32 MiB body holds about 200,000
/// real ones; `{}` a user would otherwise make millions).
pub const MAX_SYNC_USERS: usize = 200_000;

/// What a refused sync body said, for the problem's detail.
pub const TOO_MANY_USERS: &str = "too many users";

#[derive(Deserialize)]
pub struct LooseSync {
    #[serde(deserialize_with = "capped_users")]
    pub users: Vec<LooseUser>,
}

/// `users`, stopped at the first user over `MAX_SYNC_USERS`.
fn capped_users<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<LooseUser>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<LooseUser>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of users")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut users = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
            while let Some(user) = seq.next_element::<LooseUser>()? {
                if users.len() == MAX_SYNC_USERS {
                    return Err(serde::de::Error::custom(TOO_MANY_USERS));
                }
                users.push(user);
            }
            Ok(users)
        }
    }
    d.deserialize_seq(V)
}
