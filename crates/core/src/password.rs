//! Mail-account passwords kept in the encoding a service definition asks
//! for, because mail servers need them in that form: plain, `{PLAIN}`, DES
//! crypt, MD5 crypt, SHA-512 crypt, `{CRYPT}` + DES crypt, `{SSHA}`. The
//! salt is an argument (this crate draws no randomness).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::{Digest, Sha1};

use crate::model::PasswordEncoding;

/// A password the chosen encoding cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Empty, or with characters a mail server cannot take.
    #[error("Illegal password")]
    Illegal,
    /// DES crypt keeps only 8 characters: a longer password would not be
    /// what the customer typed.
    #[error("Password too long for {0} (at most 8 characters)")]
    TooLong(&'static str),
    /// The crypt library refused the input.
    #[error("cannot encode the password: {0}")]
    Encoding(String),
}

/// Characters that may appear in a crypt salt.
pub const SALT_ALPHABET: &[u8] =
    b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Encodes `clear` for storage. `salt` must hold at least 16 characters of
/// [`SALT_ALPHABET`] (the encodings use as many as they need).
///
/// # Errors
/// [`PasswordError`] when the encoding cannot hold the password.
// MD5 and DES crypt are weak, and pwhash says so; mail servers that the
// operator chose them for still need exactly these forms.
#[allow(deprecated)]
pub fn encode(
    encoding: PasswordEncoding,
    clear: &str,
    salt: &str,
) -> Result<String, PasswordError> {
    if clear.is_empty() || clear.chars().any(|c| c.is_control()) {
        return Err(PasswordError::Illegal);
    }
    let err = |e: pwhash::error::Error| PasswordError::Encoding(e.to_string());
    Ok(match encoding {
        PasswordEncoding::Plain => clear.to_string(),
        PasswordEncoding::LdapPlain => format!("{{PLAIN}}{clear}"),
        PasswordEncoding::CryptDes => des(clear, salt)?,
        PasswordEncoding::LdapCrypt => format!("{{CRYPT}}{}", des(clear, salt)?),
        PasswordEncoding::CryptMd5 => pwhash::md5_crypt::hash_with(
            format!("$1${}", &salt[..salt.len().min(8)]).as_str(),
            clear,
        )
        .map_err(err)?,
        PasswordEncoding::CryptSha512 => pwhash::sha512_crypt::hash_with(
            format!("$6${}", &salt[..salt.len().min(16)]).as_str(),
            clear,
        )
        .map_err(err)?,
        PasswordEncoding::LdapSsha => {
            let salt_bytes = &salt.as_bytes()[..salt.len().min(8)];
            let mut hasher = Sha1::new();
            hasher.update(clear.as_bytes());
            hasher.update(salt_bytes);
            let mut digest = hasher.finalize().to_vec();
            digest.extend_from_slice(salt_bytes);
            format!("{{SSHA}}{}", STANDARD.encode(digest))
        }
    })
}

#[allow(deprecated)]
fn des(clear: &str, salt: &str) -> Result<String, PasswordError> {
    if clear.len() > 8 {
        return Err(PasswordError::TooLong("crypt-des"));
    }
    pwhash::unix_crypt::hash_with(&salt[..salt.len().min(2)], clear)
        .map_err(|e| PasswordError::Encoding(e.to_string()))
}

/// True when `clear` is the password `stored` (in `encoding`) holds.
pub fn verify(encoding: PasswordEncoding, stored: &str, clear: &str) -> bool {
    match encoding {
        PasswordEncoding::Plain => stored == clear,
        PasswordEncoding::LdapPlain => stored.strip_prefix("{PLAIN}") == Some(clear),
        PasswordEncoding::CryptDes => pwhash::unix_crypt::verify(clear, stored),
        PasswordEncoding::LdapCrypt => stored
            .strip_prefix("{CRYPT}")
            .is_some_and(|h| pwhash::unix_crypt::verify(clear, h)),
        PasswordEncoding::CryptMd5 => pwhash::md5_crypt::verify(clear, stored),
        PasswordEncoding::CryptSha512 => pwhash::sha512_crypt::verify(clear, stored),
        PasswordEncoding::LdapSsha => {
            let Some(decoded) = stored
                .strip_prefix("{SSHA}")
                .and_then(|b| STANDARD.decode(b).ok())
            else {
                return false;
            };
            if decoded.len() <= 20 {
                return false;
            }
            let (digest, salt) = decoded.split_at(20);
            let mut hasher = Sha1::new();
            hasher.update(clear.as_bytes());
            hasher.update(salt);
            hasher.finalize().as_slice() == digest
        }
    }
}

/// The form Dovecot's `doveadm pw -t` reads for a stored password.
pub fn dovecot_form(encoding: PasswordEncoding, stored: &str) -> String {
    match encoding {
        PasswordEncoding::Plain => format!("{{PLAIN}}{stored}"),
        PasswordEncoding::LdapPlain | PasswordEncoding::LdapCrypt | PasswordEncoding::LdapSsha => {
            stored.to_string()
        }
        PasswordEncoding::CryptDes => format!("{{CRYPT}}{stored}"),
        PasswordEncoding::CryptMd5 => format!("{{MD5-CRYPT}}{stored}"),
        PasswordEncoding::CryptSha512 => format!("{{SHA512-CRYPT}}{stored}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: &str = "abcdefghijklmnop";

    #[test]
    fn every_encoding_round_trips() {
        for encoding in PasswordEncoding::ALL {
            let stored = encode(encoding, "s3cret!", SALT).unwrap();
            assert!(
                verify(encoding, &stored, "s3cret!"),
                "{encoding:?}: {stored}"
            );
            assert!(!verify(encoding, &stored, "wrong"), "{encoding:?}");
        }
    }

    #[test]
    fn encodings_have_their_shapes() {
        let shape = |e| encode(e, "pw", SALT).unwrap();
        assert_eq!(shape(PasswordEncoding::Plain), "pw");
        assert_eq!(shape(PasswordEncoding::LdapPlain), "{PLAIN}pw");
        assert_eq!(shape(PasswordEncoding::CryptDes).len(), 13);
        assert!(shape(PasswordEncoding::CryptMd5).starts_with("$1$abcdefgh$"));
        assert!(shape(PasswordEncoding::CryptSha512).starts_with("$6$abcdefghijklmnop$"));
        assert!(shape(PasswordEncoding::LdapCrypt).starts_with("{CRYPT}ab"));
        assert!(shape(PasswordEncoding::LdapSsha).starts_with("{SSHA}"));
    }

    #[test]
    fn passwords_an_encoding_cannot_hold_are_refused() {
        assert_eq!(
            encode(PasswordEncoding::CryptDes, "ninechars", SALT),
            Err(PasswordError::TooLong("crypt-des"))
        );
        assert_eq!(
            encode(PasswordEncoding::Plain, "", SALT),
            Err(PasswordError::Illegal)
        );
        assert_eq!(
            encode(PasswordEncoding::Plain, "a\nb", SALT),
            Err(PasswordError::Illegal)
        );
    }
}
