//! Who may do what (SPEC section 2).

/// The role of a login, stored as the lowercase word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A customer's support contact: everything of one account.
    Contact,
    /// A customer's read-only person.
    Viewer,
    /// The vendor's support staff: all accounts, no account of their own.
    Staff,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Contact => "contact",
            Role::Viewer => "viewer",
            Role::Staff => "staff",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "contact" => Some(Role::Contact),
            "viewer" => Some(Role::Viewer),
            "staff" => Some(Role::Staff),
            _ => None,
        }
    }

    /// Contact and viewer belong to one account; staff to none.
    pub fn needs_account(self) -> bool {
        !matches!(self, Role::Staff)
    }

    /// May read the pages of their own account.
    pub fn reads_account(self) -> bool {
        matches!(self, Role::Contact | Role::Viewer)
    }

    /// May order, cancel and change users of their own account.
    pub fn changes_account(self) -> bool {
        matches!(self, Role::Contact)
    }

    /// May use the staff pages.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Staff)
    }

    /// Where `GET /` sends this role.
    pub fn home(self) -> &'static str {
        match self {
            Role::Contact | Role::Viewer => "/account",
            Role::Staff => "/staff/orders",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_contact_changes_an_account_and_only_staff_see_staff_pages() {
        assert!(Role::Contact.changes_account());
        assert!(!Role::Viewer.changes_account());
        assert!(!Role::Staff.changes_account());
        assert!(Role::Viewer.reads_account());
        assert!(Role::Staff.is_staff() && !Role::Contact.is_staff() && !Role::Viewer.is_staff());
        for role in [Role::Contact, Role::Viewer, Role::Staff] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Staff"), None);
    }
}
