//! Password hashing (argon2id) and the acting user.

use std::sync::OnceLock;

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::domain::{Password, Permission, Role, User, UserId};
use crate::error::{Error, Result};
use crate::hashing::with_memory;

pub use crate::domain::login_delay_secs;

/// Who is acting. Every command takes one and checks the permission matrix against its role.
///
/// Frontends get an actor from [`crate::Erp::authenticate`] (username and password) or
/// [`crate::Erp::actor`] (a user id from a verified session token, checked against the
/// database). [`Actor::system`] is for operator tools that run with the database's own
/// credentials (migrations, seeding). [`Actor::claimed`] saves that read for commands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    user_id: Option<UserId>,
    username: String,
    role: Role,
    /// False for [`Actor::claimed`]: the user and role are not known until a command reads them.
    checked: bool,
}

impl Actor {
    /// The system itself, with admin rights and no user id. Its changes are recorded as made by
    /// nobody in particular. Never hand it to a request from outside.
    pub fn system() -> Actor {
        Actor {
            user_id: None,
            username: "system".to_string(),
            role: Role::Admin,
            checked: true,
        }
    }

    /// The user a verified session token names, not yet checked against the database.
    ///
    /// Every command re-reads its acting user inside its own transaction (a deactivated user or a
    /// changed role takes effect at once) and then acts as that user, so a frontend can hand a
    /// command this actor and skip a query of its own before it. Anything that does not read the
    /// user in a transaction (reads, listings) refuses it with [`Error::Internal`]: get an actor
    /// from [`crate::Erp::actor`] for those.
    pub fn claimed(user_id: UserId) -> Actor {
        Actor {
            user_id: Some(user_id),
            username: String::new(),
            role: Role::Viewer,
            checked: false,
        }
    }

    pub(crate) fn for_user(user: &User) -> Actor {
        Actor {
            user_id: Some(user.id),
            username: user.username.to_string(),
            role: user.role,
            checked: true,
        }
    }

    /// Whether the user and role were read from the database (false for [`Actor::claimed`]).
    pub fn is_checked(&self) -> bool {
        self.checked
    }

    /// The user's id (None for the system).
    pub fn user_id(&self) -> Option<UserId> {
        self.user_id
    }

    /// The login name (`system` for the system).
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Whether the role allows `permission` (never, for an actor not checked yet).
    pub fn can(&self, permission: Permission) -> bool {
        self.checked && self.role.allows(permission)
    }

    /// Fails with [`Error::Forbidden`] unless the role allows `permission`, and with
    /// [`Error::Internal`] for an actor not checked yet (a frontend bug, never the user's doing).
    pub fn require(&self, permission: Permission) -> Result<()> {
        if !self.checked {
            return Err(Error::Internal {
                message: "an actor taken from a token reached an operation that does not check \
                          its user"
                    .to_string(),
            });
        }
        if self.can(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden {
                role: self.role,
                action: permission,
            })
        }
    }
}

/// argon2id with the OWASP-recommended minimum (19 MiB, 2 passes, 1 lane).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes a password into a PHC string with a random salt.
pub fn hash_password(password: &Password) -> Result<String> {
    let salt_bytes = random_salt()?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| Error::Internal {
        message: format!("salt: {e}"),
    })?;
    let argon2 = hasher();
    let params = argon2.params().clone();
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    hash_into(&argon2, password.expose().as_bytes(), &salt_bytes, &mut out).map_err(|e| {
        Error::Internal {
            message: format!("hashing: {e}"),
        }
    })?;
    let output = Output::new(&out).map_err(|e| Error::Internal {
        message: format!("hash output: {e}"),
    })?;
    let params = ParamsString::try_from(&params).map_err(|e| Error::Internal {
        message: format!("hash parameters: {e}"),
    })?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    };
    Ok(phc.to_string())
}

/// argon2 into `out`, in memory borrowed from the reusable pool rather than a fresh 19 MiB
/// allocation per call (see [`crate::hashing`]).
fn hash_into(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> argon2::Result<()> {
    let blocks = argon2.params().block_count();
    with_memory(blocks, |memory| {
        argon2.hash_password_into_with_memory(password, salt, out, memory)
    })
}

fn random_salt() -> Result<[u8; 16]> {
    let mut salt = [0u8; 16];
    fill_random(&mut salt)?;
    Ok(salt)
}

/// Fills `buf` from the operating system's secure random source.
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::getrandom(buf).map_err(|e| Error::Internal {
        message: format!("no secure randomness: {e}"),
    })
}

/// `bytes` secure random bytes as lower-case hex.
pub(crate) fn random_hex(bytes: usize) -> Result<String> {
    let mut buf = vec![0u8; bytes];
    fill_random(&mut buf)?;
    Ok(hex(&buf))
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks a password against a stored PHC string. A malformed hash never matches.
pub fn verify_password(password: &str, stored_hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored_hash) else {
        return false;
    };
    matches(password.as_bytes(), &parsed).unwrap_or(false)
}

/// Recomputes the hash with the stored parameters and salt and compares in constant time.
fn matches(password: &[u8], parsed: &PasswordHash<'_>) -> Option<bool> {
    let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
    let version = match parsed.version {
        Some(number) => Version::try_from(number).ok()?,
        None => Version::default(),
    };
    let params = Params::try_from(parsed).ok()?;
    let expected = parsed.hash?;
    let mut salt_buf = [0u8; 64];
    let salt = parsed.salt?.decode_b64(&mut salt_buf).ok()?;
    let mut out = vec![0u8; expected.len()];
    hash_into(
        &Argon2::new(algorithm, version, params),
        password,
        salt,
        &mut out,
    )
    .ok()?;
    // Output's equality is constant-time.
    Some(Output::new(&out).ok()? == expected)
}

/// Spends the same work as a real check, so an unknown username takes as long to refuse as a
/// wrong password (no user enumeration by timing).
pub fn verify_against_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let hash = DUMMY.get_or_init(|| {
        Password::new("not-a-real-password")
            .ok()
            .and_then(|p| hash_password(&p).ok())
            .unwrap_or_default()
    });
    let _ = verify_password(password, hash);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claimed_actor_is_allowed_nothing_until_a_command_checks_it() {
        let claimed = Actor::claimed(UserId(7));
        assert_eq!(claimed.user_id(), Some(UserId(7)));
        assert!(!claimed.is_checked());
        assert!(!claimed.can(Permission::Read));
        assert!(matches!(
            claimed.require(Permission::Read),
            Err(Error::Internal { .. })
        ));
        assert!(Actor::system().is_checked());
    }

    #[test]
    fn hashes_verify_and_are_salted() {
        let password = Password::new("correct horse battery").unwrap();
        let first = hash_password(&password).unwrap();
        let second = hash_password(&password).unwrap();
        assert!(first.starts_with("$argon2id$"));
        assert_ne!(first, second, "each hash has its own salt");
        assert!(verify_password("correct horse battery", &first));
        assert!(!verify_password("correct horse batterx", &first));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn hashes_match_the_reference_implementation() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let password = Password::new("correct horse battery").unwrap();
        let ours = hash_password(&password).unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            hasher()
                .verify_password(b"correct horse battery", &parsed)
                .is_ok()
        );
        let salt = SaltString::encode_b64(&[7u8; 16]).unwrap();
        let theirs = hasher()
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("correct horse battery", &theirs));
        assert!(!verify_password("correct horse batterx", &theirs));
    }

    #[test]
    fn system_actor_is_an_admin_without_id() {
        let system = Actor::system();
        assert_eq!(system.role(), Role::Admin);
        assert_eq!(system.user_id(), None);
        assert!(system.require(Permission::ManageUsers).is_ok());
    }
}
