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
    /// A message on an order decided or cancelled more than 30 days ago
    /// (SPEC 13).
    MessagesClosed,
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

/// The longest message on an order, in characters (SPEC 13).
pub const MESSAGE_MAX_CHARS: usize = 2_000;
/// How long after its decision (or cancellation) an order takes messages.
pub const MESSAGE_WINDOW_DAYS: i64 = 30;
/// The most a rule's 30-day ceiling may be.
pub const RULE_MAX_PER_30_DAYS: i64 = 1_000_000;
/// The days a rule's ceiling looks back over.
pub const RULE_WINDOW_DAYS: i64 = 30;
/// The days the median time to a decision looks back over, and how many
/// decisions it needs before it is shown instead of the SLA.
pub const MEDIAN_DAYS: i64 = 90;
pub const MEDIAN_MIN_DECISIONS: usize = 10;

/// An account's approval rule (SPEC 13): 0 in either turns it off.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    pub max_quantity: i64,
    pub max_per_30_days: i64,
}

impl Rule {
    pub fn is_on(self) -> bool {
        self.max_quantity > 0 && self.max_per_30_days > 0
    }

    /// Whether an order of `kind` and `quantity` may be approved at once,
    /// when the rule's approvals of the 30 days before it add up to
    /// `approved_before`. Reductions never are.
    pub fn admits(self, kind: OrderKind, quantity: i64, approved_before: i64) -> bool {
        self.is_on()
            && kind == OrderKind::Add
            && quantity <= self.max_quantity
            && approved_before.saturating_add(quantity) <= self.max_per_30_days
    }
}

/// Whether an order takes messages at `now`: while pending, and up to 30
/// days after it was decided or cancelled.
pub fn takes_messages(
    status: OrderStatus,
    decided_at: Option<chrono::NaiveDateTime>,
    now: chrono::NaiveDateTime,
) -> bool {
    match (status, decided_at) {
        (OrderStatus::Pending, _) | (_, None) => true,
        (_, Some(at)) => now <= at + chrono::Duration::days(MESSAGE_WINDOW_DAYS),
    }
}

/// The median of the times to a decision, in seconds (the lower middle
/// of an even count), or `None` while there are fewer than
/// [`MEDIAN_MIN_DECISIONS`].
pub fn median_wait(mut seconds: Vec<i64>) -> Option<i64> {
    if seconds.len() < MEDIAN_MIN_DECISIONS {
        return None;
    }
    seconds.sort_unstable();
    Some(seconds[(seconds.len() - 1) / 2])
}

/// The most licenses an account may own; an approval or adjustment past it
/// is refused rather than overflowing.
pub const MAX_LICENSES: i64 = 1_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_admits_small_additions_within_its_30_day_ceiling() {
        let rule = Rule {
            max_quantity: 5,
            max_per_30_days: 10,
        };
        assert!(rule.admits(OrderKind::Add, 5, 5));
        assert!(!rule.admits(OrderKind::Add, 5, 6), "past the ceiling");
        assert!(!rule.admits(OrderKind::Add, 6, 0), "over the quantity");
        assert!(!rule.admits(OrderKind::Reduce, 1, 0), "never a reduction");
        for off in [(0, 10), (5, 0), (0, 0)] {
            let rule = Rule {
                max_quantity: off.0,
                max_per_30_days: off.1,
            };
            assert!(!rule.admits(OrderKind::Add, 1, 0), "{off:?} is off");
        }
    }

    #[test]
    fn messages_are_taken_while_pending_and_for_30_days_after_the_decision() {
        let at = chrono::NaiveDate::from_ymd_opt(2027, 1, 1)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .expect("time");
        let later = |d: i64, s: i64| at + chrono::Duration::days(d) + chrono::Duration::seconds(s);
        assert!(takes_messages(OrderStatus::Pending, None, later(400, 0)));
        assert!(takes_messages(
            OrderStatus::Approved,
            Some(at),
            later(30, 0)
        ));
        assert!(!takes_messages(
            OrderStatus::Approved,
            Some(at),
            later(30, 1)
        ));
        assert!(!takes_messages(
            OrderStatus::Cancelled,
            Some(at),
            later(31, 0)
        ));
    }

    #[test]
    fn the_median_wait_needs_ten_decisions() {
        assert_eq!(median_wait((1..=9).collect()), None);
        assert_eq!(median_wait((1..=10).rev().collect()), Some(5));
        assert_eq!(median_wait((1..=11).collect()), Some(6));
    }

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
