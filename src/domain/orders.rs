//! License orders: their states and what may happen to them.

/// An order's status, stored as the lowercase word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    Pending,
    Approved,
    Rejected,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 4] = [
        OrderStatus::Pending,
        OrderStatus::Approved,
        OrderStatus::Rejected,
        OrderStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Approved => "approved",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Only a pending order may be approved, rejected or cancelled; every
    /// other state is final.
    pub fn may_decide(self) -> bool {
        matches!(self, OrderStatus::Pending)
    }
}

/// The most licenses an account may own; an approval or adjustment past it
/// is refused rather than overflowing.
pub const MAX_LICENSES: i64 = 1_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pending_orders_are_decided() {
        assert!(OrderStatus::Pending.may_decide());
        for st in [
            OrderStatus::Approved,
            OrderStatus::Rejected,
            OrderStatus::Cancelled,
        ] {
            assert!(!st.may_decide());
        }
        for st in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(st.as_str()), Some(st));
        }
    }
}
