//! Secrets at rest: the card key (32 random bytes, base64 in a file of mode
//! 0600 or in `BURSAR_CARD_KEY`) and XChaCha20-Poly1305 encryption of card
//! numbers, bank accounts and export secrets. Stored form:
//! `v1:` + base64(24-byte nonce ‖ ciphertext ‖ tag).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::{Error, Result};

const PREFIX: &str = "v1:";

/// The 32-byte key that encrypts secrets at rest. Its `Debug` hides it.
#[derive(Clone)]
pub struct CardKey([u8; 32]);

impl std::fmt::Debug for CardKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardKey(<secret>)")
    }
}

impl CardKey {
    /// A new random key.
    pub fn generate() -> CardKey {
        CardKey(XChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    /// Reads a key from its base64 text (surrounding blanks ignored).
    ///
    /// # Errors
    /// [`Error::Config`] unless the text is base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<CardKey> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| Error::Config("card key is not base64".into()))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::Config("card key must be 32 bytes".into()))?;
        Ok(CardKey(key))
    }

    /// The key as base64 text, for its file.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }
}

/// Encrypts and decrypts secrets with the card key.
#[derive(Clone)]
pub struct Cipher(XChaCha20Poly1305);

impl Cipher {
    /// A cipher using `key`.
    pub fn new(key: &CardKey) -> Cipher {
        Cipher(XChaCha20Poly1305::new(&key.0.into()))
    }

    /// Encrypts `plain` with a fresh random nonce; empty stays empty.
    pub fn encrypt(&self, plain: &str) -> String {
        if plain.is_empty() {
            return String::new();
        }
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .0
            .encrypt(&nonce, plain.as_bytes())
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut bytes = Vec::with_capacity(nonce.len() + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        format!("{PREFIX}{}", STANDARD.encode(bytes))
    }

    /// Decrypts what [`Cipher::encrypt`] produced; empty stays empty.
    ///
    /// # Errors
    /// [`Error::Corrupt`] when the text was not made with this key.
    pub fn decrypt(&self, stored: &str) -> Result<String> {
        if stored.is_empty() {
            return Ok(String::new());
        }
        let corrupt = || Error::Corrupt("encrypted value cannot be decrypted with this key".into());
        let body = stored.strip_prefix(PREFIX).ok_or_else(corrupt)?;
        let bytes = STANDARD.decode(body).map_err(|_| corrupt())?;
        if bytes.len() < 24 {
            return Err(corrupt());
        }
        let (nonce, sealed) = bytes.split_at(24);
        let plain = self
            .0
            .decrypt(XNonce::from_slice(nonce), sealed)
            .map_err(|_| corrupt())?;
        String::from_utf8(plain).map_err(|_| corrupt())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypts_with_a_fresh_nonce_and_decrypts() {
        let cipher = Cipher::new(&CardKey::generate());
        let a = cipher.encrypt("4111111111111111");
        let b = cipher.encrypt("4111111111111111");
        assert_ne!(a, b);
        assert!(!a.contains("4111111111111111"));
        assert_eq!(cipher.decrypt(&a).unwrap(), "4111111111111111");
        assert_eq!(cipher.encrypt(""), "");
    }

    #[test]
    fn another_key_cannot_decrypt() {
        let stored = Cipher::new(&CardKey::generate()).encrypt("secret");
        assert!(Cipher::new(&CardKey::generate()).decrypt(&stored).is_err());
    }

    #[test]
    fn key_round_trips_through_base64() {
        let key = CardKey::generate();
        let again = CardKey::from_base64(&key.to_base64()).unwrap();
        assert_eq!(again.0, key.0);
        assert!(CardKey::from_base64("c2hvcnQ=").is_err());
    }
}
