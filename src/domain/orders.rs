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

/// What an order does: adds licenses, or takes some away (SPEC 12).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum OrderKind {
    #[default]
    Add,
    Reduce,
}

impl OrderKind {
    pub const ALL: [OrderKind; 2] = [OrderKind::Add, OrderKind::Reduce];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Add => "add",
            OrderKind::Reduce => "reduce",
        }
    }

    pub fn parse(s: &str) -> Option<OrderKind> {
        OrderKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The ledger's signed change of an order of `quantity`.
    pub fn change(self, quantity: i64) -> i64 {
        match self {
            OrderKind::Add => quantity,
            OrderKind::Reduce => -quantity,
        }
    }
}

/// Why a change of licenses that was asked for cannot be made now
/// (answered 409 at approval, nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clash {
    /// Temporary licenses whose last day is before today.
    PeriodPassed,
    /// A reduction that would leave, on its `day`, fewer licenses than
    /// the users counted then as forecast (or fewer than 0).
    Short(super::ledger::Shortfall),
}

/// A decision on a pending order with its note checked, the one note rule
/// of the pages and the API: optional when approving, required when
/// rejecting, at most 500 characters either way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve(Option<String>),
    Reject(String),
}

impl Decision {
    pub fn parse(approve: bool, note: &str) -> Result<Decision, super::validation::FieldError> {
        let note = note.trim();
        match (approve, note) {
            (true, "") => Ok(Decision::Approve(None)),
            (true, note) => {
                super::validation::required_text(note, 500).map(|n| Decision::Approve(Some(n)))
            }
            (false, note) => super::validation::required_text(note, 500).map(Decision::Reject),
        }
    }
}

/// The most licenses an account may own; an approval or adjustment past it
/// is refused rather than overflowing.
pub const MAX_LICENSES: i64 = 1_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_optional_to_approve_and_required_to_reject() {
        use super::super::validation::FieldError;
        assert_eq!(Decision::parse(true, "  "), Ok(Decision::Approve(None)));
        assert_eq!(
            Decision::parse(true, " ok "),
            Ok(Decision::Approve(Some("ok".into())))
        );
        assert_eq!(Decision::parse(false, " "), Err(FieldError::Required));
        assert_eq!(
            Decision::parse(false, "no budget"),
            Ok(Decision::Reject("no budget".into()))
        );
        let long = "x".repeat(501);
        assert!(Decision::parse(true, &long).is_err());
        assert!(Decision::parse(false, &long).is_err());
    }

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
