//! The JSON bodies of orders and their messages (SPEC 9, 12 and 13).

use serde::Serialize;
use utoipa::ToSchema;

use super::rfc3339;
use crate::domain::orders::{OrderKind, OrderStatus};
use crate::models::LicenseOrder;

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
