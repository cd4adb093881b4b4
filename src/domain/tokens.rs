//! API tokens (SPEC 9): their scopes, what each allows, and the checks of
//! what a person types to make one.

use super::validation::FieldError;

/// What a token may do, stored as the lowercase word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenScope {
    /// An account token: every GET of its account.
    Read,
    /// An account token: also placing and cancelling orders.
    Order,
    /// A vendor token: read accounts, write their users.
    Sync,
    /// A vendor token: read and decide orders.
    Decide,
}

/// What a request needs of its token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Read one's own account (account tokens).
    ReadOwnAccount,
    /// Place or cancel an order of one's own account.
    Order,
    /// Read accounts (vendor tokens).
    ReadAccounts,
    /// Write an account's users.
    Sync,
    /// Read orders: an account token its account's, a decide token every
    /// account's (or its one account's).
    ReadOrders,
    /// Approve or reject orders.
    Decide,
    /// Write a message on an order: an `order` token on its account's, a
    /// `decide` token on those it reaches (SPEC 13).
    Message,
}

impl TokenScope {
    pub const ACCOUNT: [TokenScope; 2] = [TokenScope::Read, TokenScope::Order];
    pub const VENDOR: [TokenScope; 2] = [TokenScope::Sync, TokenScope::Decide];

    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Order => "order",
            TokenScope::Sync => "sync",
            TokenScope::Decide => "decide",
        }
    }

    pub fn parse(s: &str) -> Option<TokenScope> {
        match s {
            "read" => Some(TokenScope::Read),
            "order" => Some(TokenScope::Order),
            "sync" => Some(TokenScope::Sync),
            "decide" => Some(TokenScope::Decide),
            _ => None,
        }
    }

    /// Vendor tokens are made by staff and may span every account.
    pub fn is_vendor(self) -> bool {
        matches!(self, TokenScope::Sync | TokenScope::Decide)
    }

    /// Whether a token of this scope may do what a request needs.
    pub fn allows(self, need: Need) -> bool {
        use TokenScope::*;
        match need {
            Need::ReadOwnAccount => matches!(self, Read | Order),
            Need::Order => self == Order,
            Need::ReadAccounts => matches!(self, Sync | Decide),
            Need::Sync => self == Sync,
            Need::ReadOrders => matches!(self, Read | Order | Decide),
            Need::Decide => self == Decide,
            Need::Message => matches!(self, Order | Decide),
        }
    }
}

/// Whether a token bound to `bound` (none: a vendor token for every
/// account) reaches `account`'s orders and users: the one rule the API's
/// reads and the decisions both take.
pub fn reaches(bound: Option<i64>, account: i64) -> bool {
    bound.is_none_or(|own| own == account)
}

/// The longest token name.
pub const MAX_NAME_CHARS: usize = 100;
/// The longest lifetime a token may be given, in days.
pub const MAX_DAYS: i64 = 365;

/// `days`: empty for no expiry, else a whole number from 1 to 365.
pub fn parse_days(input: &str) -> Result<Option<i64>, FieldError> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    if !input.bytes().all(|b| b.is_ascii_digit()) || input.len() > 3 {
        return Err(FieldError::Days);
    }
    match input.parse::<i64>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Ok(Some(days)),
        _ => Err(FieldError::Days),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bound_token_reaches_its_account_only_and_an_unbound_one_every_account() {
        assert!(reaches(Some(3), 3));
        assert!(!reaches(Some(3), 4));
        assert!(reaches(None, 4));
    }

    #[test]
    fn each_scope_allows_what_spec_9_says_and_nothing_more() {
        use TokenScope as S;
        let table = [
            (S::Read, [true, false, false, false, true, false]),
            (S::Order, [true, true, false, false, true, false]),
            (S::Sync, [false, false, true, true, false, false]),
            (S::Decide, [false, false, true, false, true, true]),
        ];
        for (scope, row) in table {
            let needs = [
                Need::ReadOwnAccount,
                Need::Order,
                Need::ReadAccounts,
                Need::Sync,
                Need::ReadOrders,
                Need::Decide,
            ];
            for (need, allowed) in needs.into_iter().zip(row) {
                assert_eq!(scope.allows(need), allowed, "{scope:?} {need:?}");
            }
        }
    }

    #[test]
    fn days_are_empty_or_one_to_365() {
        assert_eq!(parse_days(""), Ok(None));
        assert_eq!(parse_days(" 30 "), Ok(Some(30)));
        assert_eq!(parse_days("365"), Ok(Some(365)));
        for bad in ["0", "366", "-1", "1.5", "abc", "0001"] {
            assert_eq!(parse_days(bad), Err(FieldError::Days), "{bad}");
        }
    }
}
