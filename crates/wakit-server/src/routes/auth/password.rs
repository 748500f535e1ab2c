//! Password hashing: argon2id (the `argon2` crate's defaults, OWASP's minimum: 19 MiB,
//! two passes, one lane — about what one sign-in may cost on a small server) for every
//! new hash; bcrypt hashes (`$2a$`/`$2b$`/`$2y$`, what GoTrue stores) are verified so
//! imported users can sign in. Hashing runs on the blocking pool: it is CPU work that
//! would otherwise stall the connection's executor thread.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash as Phc;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use wakit_store::PasswordHash;

use super::error::AuthError;

/// Fewest characters a password may have (GoTrue's default is 6; wakit asks for 8).
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Most bytes hashed: bcrypt reads 72, and an unbounded input is a cheap way to burn CPU.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// 422 `weak_password` unless the password is long enough; 400 if absurdly long.
pub fn check_strength(password: &str) -> Result<(), AuthError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::validation(format!(
            "Password cannot be longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AuthError::weak_password(
            format!("Password should be at least {MIN_PASSWORD_CHARS} characters."),
            vec!["length"],
        ));
    }
    Ok(())
}

/// An argon2id hash of `password` (PHC string).
pub async fn hash(password: String) -> Result<PasswordHash, AuthError> {
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(AuthError::unexpected)?
}

fn hash_now(password: &str) -> Result<PasswordHash, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| PasswordHash(h.to_string()))
        .map_err(AuthError::unexpected)
}

/// Whether `stored` is a bcrypt hash (imported from GoTrue), which sign-in replaces.
pub fn is_bcrypt(stored: &PasswordHash) -> bool {
    stored.0.starts_with("$2")
}

/// Whether `password` matches `stored` (argon2 PHC or bcrypt). A hash this code cannot
/// read matches nothing (and is logged, without the hash).
pub async fn verify(password: String, stored: PasswordHash) -> Result<bool, AuthError> {
    tokio::task::spawn_blocking(move || verify_now(&password, &stored.0))
        .await
        .map_err(AuthError::unexpected)
}

fn verify_now(password: &str, stored: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    if stored.starts_with("$2") {
        return bcrypt::verify(password, stored).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "a stored bcrypt hash cannot be read");
            false
        });
    }
    match Phc::new(stored) {
        Ok(phc) => Argon2::default()
            .verify_password(password.as_bytes(), &phc)
            .is_ok(),
        Err(e) => {
            tracing::warn!(error = %e, "a stored password hash cannot be read");
            false
        }
    }
}

/// Spends the time of one verification against nothing, so that an unknown address
/// answers as slowly as a wrong password (no user enumeration by timing).
pub async fn verify_nothing(password: String) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let _ = tokio::task::spawn_blocking(move || {
        let dummy = DUMMY.get_or_init(|| {
            hash_now("wakit-dummy-password")
                .map(|h| h.0)
                .unwrap_or_default()
        });
        verify_now(&password, dummy)
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argon2id_hashes_verify_and_differ() {
        let a = hash_now("correct horse").expect("hash");
        let b = hash_now("correct horse").expect("hash");
        assert!(a.0.starts_with("$argon2id$"), "{}", a.0);
        assert_ne!(a, b, "salted");
        assert!(verify_now("correct horse", &a.0));
        assert!(!verify_now("wrong horse", &a.0));
        assert!(!verify_now("correct horse", "garbage"));
    }

    #[test]
    fn imported_bcrypt_hashes_verify() {
        let stored = bcrypt::hash("imported pw", 4).expect("bcrypt");
        assert!(verify_now("imported pw", &stored));
        assert!(!verify_now("other pw", &stored));
    }

    #[test]
    fn short_passwords_are_weak() {
        let e = check_strength("short").expect_err("weak");
        assert_eq!((e.status().as_u16(), e.code()), (422, "weak_password"));
        assert!(check_strength("long enough").is_ok());
    }
}
