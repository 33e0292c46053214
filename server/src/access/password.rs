//! Password hashing with argon2id (the argon2 crate's defaults: 19 MiB, 2 passes).

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
}

pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A password nobody knows (32 random bytes, hex): the password of a user who signs in only
/// through the organisation's identity provider.
pub fn unguessable() -> String {
    use argon2::password_hash::rand_core::RngCore;
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A hash to verify against when the username is unknown, so both paths take as long.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash("no such user").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_are_argon2id_and_verify() -> anyhow::Result<()> {
        let stored = super::hash("rätt lösenord")?;
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(super::verify("rätt lösenord", &stored));
        assert!(!super::verify("fel lösenord", &stored));
        assert!(!super::verify("rätt lösenord", "not a hash"));
        Ok(())
    }
}
