//! Users, roles and the permission matrix.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{Invalid, Timestamp, UserId};

/// What a user may do, from least to most.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub enum Role {
    /// Reads everything, changes nothing.
    Viewer,
    /// Counter staff: places orders and moves them along.
    Operator,
    /// Runs the shop: cancels orders, keeps the catalogue and customers, manages staff.
    Manager,
    /// Everything, including making other admins.
    Admin,
}

/// An action guarded by the permission matrix.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read customers, products, orders, movements and history.
    Read,
    /// Place an order.
    CreateOrder,
    /// Move an order along (confirm, pick, ship, deliver).
    ChangeOrderStatus,
    /// Cancel an order.
    CancelOrder,
    /// Create and edit customers and products; adjust stock.
    ManageCatalog,
    /// Create, edit and deactivate users.
    ManageUsers,
    /// Run the invariant check and load demo data.
    Operate,
    /// Add a customer (at the counter: a customer asks for the CPF on the slip).
    CreateCustomer,
    /// Approve discounts, price overrides and returns; close any till; read every till's report.
    Supervise,
    /// Change the shop's own settings (the name and CNPJ every receipt prints): admins only,
    /// because they are the shop's legal identity.
    ConfigureShop,
}

impl Permission {
    /// A short phrase for error messages: "cancel orders".
    pub fn describe(self) -> &'static str {
        match self {
            Permission::Read => "read shop data",
            Permission::CreateOrder => "place orders",
            Permission::ChangeOrderStatus => "change order status",
            Permission::CancelOrder => "cancel orders",
            Permission::ManageCatalog => "manage customers, products and stock",
            Permission::ManageUsers => "manage users",
            Permission::Operate => "run maintenance tasks",
            Permission::CreateCustomer => "add customers",
            Permission::Supervise => "approve, close other tills and read their reports",
            Permission::ConfigureShop => "change the shop's settings",
        }
    }
}

impl Role {
    /// Every role, least first.
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Operator, Role::Manager, Role::Admin];

    /// The permission matrix of ARCHITECTURE.md.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match permission {
            Read => true,
            CreateOrder | ChangeOrderStatus | CreateCustomer => self >= Role::Operator,
            CancelOrder | ManageCatalog | ManageUsers | Operate | Supervise => {
                self >= Role::Manager
            }
            ConfigureShop => self >= Role::Admin,
        }
    }

    /// Whether a user of this role may create, change or deactivate a user holding `target`
    /// (before and after the change). A manager manages everyone but admins.
    pub fn may_manage(self, target: Role) -> bool {
        match self {
            Role::Admin => true,
            Role::Manager => target != Role::Admin,
            Role::Operator | Role::Viewer => false,
        }
    }

    /// The stable lower-case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    /// Parses a role name, ignoring case.
    pub fn parse(text: &str) -> Result<Role, Invalid> {
        let wanted = text.trim();
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| Invalid::new("must be one of viewer, operator, manager, admin"))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Role::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A login name: 3 to 32 characters of `a-z 0-9 . _ -`, starting with a letter, lower-cased.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Username(String);

impl Username {
    /// Normalises and validates a login name.
    pub fn parse(text: &str) -> Result<Username, Invalid> {
        let name = text.trim().to_ascii_lowercase();
        if !(3..=32).contains(&name.len()) {
            return Err(Invalid::new("must be 3 to 32 characters"));
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(Invalid::new("must start with a letter"));
        }
        if !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err(Invalid::new("may contain only letters, digits and . _ -"));
        }
        Ok(Username(name))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.0)
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Username({})", self.0)
    }
}

impl<'de> Deserialize<'de> for Username {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Username::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A new password in clear text, 8 to 128 characters. It never prints and never serialises.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The shortest password accepted.
    pub const MIN_LEN: usize = 8;
    /// The longest password accepted (bounds the hashing work a request can ask for).
    pub const MAX_LEN: usize = 128;

    /// Checks a new password. It is not trimmed: spaces are legitimate characters.
    pub fn new(text: &str) -> Result<Password, Invalid> {
        let len = text.chars().count();
        if len < Password::MIN_LEN {
            return Err(Invalid::new(format!(
                "must be at least {} characters",
                Password::MIN_LEN
            )));
        }
        if len > Password::MAX_LEN {
            return Err(Invalid::new(format!(
                "must be at most {} characters",
                Password::MAX_LEN
            )));
        }
        if text.chars().any(char::is_control) {
            return Err(Invalid::new("must not contain control characters"));
        }
        Ok(Password(text.to_string()))
    }

    /// The clear text, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A user as others see it (no password hash).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    /// Row id.
    pub id: UserId,
    /// Login name, unique.
    pub username: Username,
    /// What they may do.
    pub role: Role,
    /// Deactivated users cannot log in; their past actions keep their id.
    pub active: bool,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}

/// A user with the secrets only erp-core and the stores see.
#[derive(Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// The public part.
    pub user: User,
    /// Argon2id PHC string.
    pub password_hash: String,
}

impl fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserRecord")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// What to change about a user in one command: the role, whether they may log in, or both.
/// Both parts are applied in one transaction or not at all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserChange {
    /// The new role.
    pub role: Option<Role>,
    /// Deactivate (`false`) or reactivate (`true`).
    pub active: Option<bool>,
}

impl UserChange {
    /// Whether it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.role.is_none() && self.active.is_none()
    }
}

/// A user to create.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Login name.
    pub username: Username,
    /// Initial password.
    pub password: Password,
    /// Role.
    pub role: Role,
}

#[cfg(test)]
mod tests {
    use super::Permission::*;
    use super::Role::*;
    use super::*;

    #[test]
    fn the_permission_matrix_matches_the_architecture() {
        let table = [
            (Read, [true, true, true, true]),
            (CreateOrder, [false, true, true, true]),
            (ChangeOrderStatus, [false, true, true, true]),
            (CancelOrder, [false, false, true, true]),
            (ManageCatalog, [false, false, true, true]),
            (ManageUsers, [false, false, true, true]),
            (Operate, [false, false, true, true]),
            (CreateCustomer, [false, true, true, true]),
            (Supervise, [false, false, true, true]),
            (ConfigureShop, [false, false, false, true]),
        ];
        for (permission, expected) in table {
            for (role, allowed) in Role::ALL.into_iter().zip(expected) {
                assert_eq!(role.allows(permission), allowed, "{role} / {permission:?}");
            }
        }
    }

    #[test]
    fn a_manager_cannot_make_or_touch_an_admin() {
        assert!(Manager.may_manage(Operator));
        assert!(Manager.may_manage(Manager));
        assert!(!Manager.may_manage(Admin));
        assert!(Admin.may_manage(Admin));
        assert!(!Operator.may_manage(Viewer));
        assert!(!Viewer.may_manage(Viewer));
    }

    #[test]
    fn usernames_are_lowercase_and_plain() {
        assert_eq!(Username::parse(" Ana.Lima ").unwrap().as_str(), "ana.lima");
        for bad in [
            "ab",
            "1abc",
            "ana lima",
            "ana@shop",
            &"a".repeat(33),
            "jos\u{e9}",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_have_length_bounds_and_never_print() {
        assert!(Password::new("short").is_err());
        assert!(Password::new(&"x".repeat(129)).is_err());
        let password = Password::new("correct horse").unwrap();
        assert_eq!(format!("{password:?}"), "Password(***)");
    }

    #[test]
    fn roles_parse_by_name() {
        assert_eq!(Role::parse("Manager").unwrap(), Manager);
        assert!(Role::parse("root").is_err());
    }
}
