//! API tokens: created with a role, shown once, stored only as the SHA-256
//! of the secret, looked up by that hash and revoked by name.
//!
//! A secret is 32 bytes from the operating system's random source, so it
//! cannot be guessed or brute-forced from its hash: a fast hash (SHA-256) is
//! the right one, unlike passwords, which need a slow, salted one because
//! people choose them from a small space. Looking a token up by its hash
//! also means the secret is never compared byte by byte against stored
//! secrets (the database compares hashes, which leak nothing useful).

use guardrail_store::{Store, StoreError, TokenRow};
use sha2::{Digest, Sha256};

use crate::{EngineError, Result};

/// What a token may do. Each server route declares the role it needs
/// ([`Role::grants`] says which roles pass).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// The platform's services: events, checks, guard decisions.
    Platform,
    /// Trust-and-safety reviewers: accounts, scans.
    Reviewer,
    /// Reviewers cleared for child-safety material (everything a reviewer may do).
    ChildSafetyReviewer,
    /// Operators: banks, lexicon, policy, scans, tokens (and every other route).
    Admin,
    /// The metrics scraper: `/metrics` only.
    Metrics,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] =
        [Role::Platform, Role::Reviewer, Role::ChildSafetyReviewer, Role::Admin, Role::Metrics];

    /// The name used in the database, on the command line and in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Platform => "platform",
            Role::Reviewer => "reviewer",
            Role::ChildSafetyReviewer => "child_safety_reviewer",
            Role::Admin => "admin",
            Role::Metrics => "metrics",
        }
    }

    /// Parses a role name.
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// Whether a token of this role may call a route that needs `needed`:
    /// the same role, an admin, or a child-safety reviewer on a reviewer's route.
    pub fn grants(self, needed: Role) -> bool {
        self == needed
            || self == Role::Admin
            || (self == Role::ChildSafetyReviewer && needed == Role::Reviewer)
    }
}

/// The prefix of every secret (so a leaked one is recognisable in a scan of logs or code).
pub const SECRET_PREFIX: &str = "grt_";

/// The SHA-256 of a secret, lowercase hex (what the store keeps).
pub fn hash(secret: &str) -> String {
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
    }
    out
}

/// A new secret: the prefix and 32 random bytes in hex.
fn new_secret() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| EngineError::Setting {
        field: "token",
        why: format!("the operating system's random source failed: {e}"),
    })?;
    let mut out = String::from(SECRET_PREFIX);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    Ok(out)
}

/// Creates a token and returns its secret (shown once: only its hash is stored).
pub fn create(store: &mut dyn Store, name: &str, role: Role) -> Result<String> {
    let secret = new_secret()?;
    store.add_token(&TokenRow {
        name: name.to_owned(),
        role: role.as_str().to_owned(),
        hash: hash(&secret),
        created_at: now(),
        revoked_at: None,
    })?;
    Ok(secret)
}

/// The name and role of the active token with this secret, if there is one.
pub fn verify(store: &mut dyn Store, secret: &str) -> Result<Option<(String, Role)>> {
    let Some(row) = store.active_token(&hash(secret))? else { return Ok(None) };
    let role = Role::parse(&row.role).ok_or_else(|| {
        EngineError::Store(StoreError::CorruptRow {
            what: format!("token {}", row.name),
            why: format!("unknown role {:?}", row.role),
        })
    })?;
    Ok(Some((row.name, role)))
}

/// Every token (revoked ones too); hashes are included, secrets never exist here.
pub fn list(store: &mut dyn Store) -> Result<Vec<TokenRow>> {
    Ok(store.tokens()?)
}

/// Revokes a token by name; `NoSuchToken` when no active token has that name.
pub fn revoke(store: &mut dyn Store, name: &str) -> Result<()> {
    if store.revoke_token(name)? {
        Ok(())
    } else {
        Err(EngineError::NoSuchToken { name: name.to_owned() })
    }
}

fn now() -> String {
    guardrail_core::Timestamp::now().to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_verified_by_its_secret_until_revoked() {
        let dir = tempfile::tempdir().unwrap();
        let mut store =
            crate::store::open_writer(dir.path().join("t.db").to_str().unwrap()).unwrap();
        let secret = create(store.as_mut(), "acme", Role::Platform).unwrap();
        assert!(secret.starts_with(SECRET_PREFIX) && secret.len() == SECRET_PREFIX.len() + 64);
        let other = create(store.as_mut(), "ops", Role::Admin).unwrap();
        assert_ne!(secret, other, "secrets are random");
        let stored = list(store.as_mut()).unwrap();
        assert!(stored.iter().all(|t| t.hash != secret && !secret.contains(&t.hash)));
        assert_eq!(stored[0].hash, hash(&secret));
        assert_eq!(verify(store.as_mut(), &secret).unwrap(), Some(("acme".into(), Role::Platform)));
        assert_eq!(verify(store.as_mut(), "grt_wrong").unwrap(), None);
        revoke(store.as_mut(), "acme").unwrap();
        assert_eq!(verify(store.as_mut(), &secret).unwrap(), None);
        assert!(matches!(revoke(store.as_mut(), "acme"), Err(EngineError::NoSuchToken { .. })));
        assert!(create(store.as_mut(), "ops", Role::Reviewer).is_err(), "names are unique");
    }

    #[test]
    fn roles_grant_their_own_routes_and_admin_every_route() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
            assert!(r.grants(r) && Role::Admin.grants(r));
        }
        assert!(Role::ChildSafetyReviewer.grants(Role::Reviewer));
        assert!(!Role::Reviewer.grants(Role::ChildSafetyReviewer));
        assert!(!Role::Platform.grants(Role::Admin) && !Role::Metrics.grants(Role::Platform));
        // The well-known SHA-256 of "abc".
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
