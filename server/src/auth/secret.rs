//! Passwords and tokens. Passwords are hashed with Argon2id at OWASP's parameters (19 MiB,
//! two passes, one lane) into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`); hashing
//! and verifying take tens of milliseconds of CPU, so they run on the blocking pool, and only
//! at sign-in. Session and display tokens are 256 random bits; the server keeps only their
//! SHA-256, so a copy of the database signs nobody in.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// OWASP Password Storage Cheat Sheet, Argon2id: m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Passwords are at least this many characters (NIST SP 800-63B asks for 8 at least; a
/// go-live's accounts are handed out on paper, and the PIN covers quick re-entry).
pub const MIN_PASSWORD_CHARS: usize = 10;
/// And at most this many bytes: Argon2 takes any length, a request should not.
pub const MAX_PASSWORD_BYTES: usize = 256;

fn argon2() -> Result<Argon2<'static>, argon2::Error> {
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(MEMORY_KIB, PASSES, LANES, None)?))
}

/// Why a password is not acceptable as a new one, if it is not.
pub fn weak_password(password: &str) -> Option<String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Some(format!("a password is at least {MIN_PASSWORD_CHARS} characters"));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Some(format!("a password is at most {MAX_PASSWORD_BYTES} bytes"));
    }
    None
}

/// The Argon2id PHC string of `password`, with a fresh random salt. Blocks for the hash.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = argon2()
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string. A stored string that does not parse
/// matches nothing. Blocks for the hash.
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    // The parameters are read from the stored string, so hashes made with older ones verify.
    Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
}

/// A hash to verify against when the login does not exist, so a wrong login takes as long
/// as a wrong password and the time of the answer does not tell which logins exist.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("not a password of any account").unwrap_or_default());
    &DECOY
}

/// A new session or display token: 256 random bits in hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// A password handed out once (first start, an import, a reset without one): 20 characters
/// of an alphabet without look-alikes (no 0/O, 1/l/I), read off paper without mistakes.
pub fn new_one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..20)
        .map(|_| {
            let i = (rng.next_u32() as usize) % ALPHABET.len();
            ALPHABET.get(i).copied().map_or('x', char::from)
        })
        .collect()
}

/// What the server stores and looks a token up by: the hex of its SHA-256.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hashed_with_argon2id_at_owasp_parameters_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("correct horse battery", "not a hash"));
        assert_ne!(hash, hash_password("correct horse battery").unwrap(), "each hash has its own salt");
    }

    #[test]
    fn tokens_are_256_random_bits_and_stored_as_their_sha256() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn one_time_passwords_are_long_enough_and_unambiguous() {
        let p = new_one_time_password();
        assert_eq!(p.chars().count(), 20);
        assert!(weak_password(&p).is_none());
        assert!(!p.contains(['0', 'O', '1', 'l', 'I']));
        assert!(weak_password("short").is_some());
    }
}
