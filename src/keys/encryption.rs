//! The key-encryption key (KEK): signing keys live in the database, and a
//! database dump or backup must not be enough to sign tokens.
//!
//! Each private key (PKCS#8 DER) is sealed with AES-256-GCM under a 256-bit
//! KEK that lives outside the database (an environment variable or a file).
//! A sealed key is `nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`; the
//! nonce is random (96 bits, NIST SP 800-38D §8.2.2), and a few keys a year
//! stay far below the 2³² encryptions §8.3 allows under one KEK. The key id and algorithm are associated
//! data, so a sealed key moved to another row no longer opens.
//!
//! The KEK itself is base64 text (RFC 4648 §4, with padding), the same in
//! the environment and in a file: `openssl rand -base64 32` makes one.

use super::{KeyError, SigningAlg};
use aws_lc_rs::aead::{Aad, Nonce, RandomizedNonceKey, AES_256_GCM, NONCE_LEN};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::fmt;
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

const KEK_LEN: usize = 32;

/// A 256-bit AES-GCM key that seals the signing keys at rest. Its bytes
/// live only inside the cipher context; `Debug` never shows them.
pub struct KeyEncryptionKey(RandomizedNonceKey);

impl KeyEncryptionKey {
    /// Reads a KEK from base64 text (e.g. `PORTCULLIS_KEY_ENCRYPTION_KEY`);
    /// whitespace around it is ignored.
    pub fn from_base64(value: &str) -> Result<Self, KeyError> {
        let bytes = Zeroizing::new(STANDARD.decode(value.trim()).map_err(|_| {
            KeyError::InvalidKeyEncryptionKey("it is not base64 (e.g. `openssl rand -base64 32`)")
        })?);
        Self::from_bytes(&bytes)
    }

    /// Reads a KEK from a file holding its base64 text.
    pub fn from_file(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read(path)
            .map(Zeroizing::new)
            .map_err(|source| file_error(path, source))?;
        let text = std::str::from_utf8(&text).map_err(|_| {
            KeyError::InvalidKeyEncryptionKey("the file must hold base64 text, not raw bytes")
        })?;
        Self::from_base64(text)
    }

    /// Creates a file with a new random KEK, readable by its owner only
    /// (mode 0600), and returns the KEK. An existing file is never
    /// overwritten: its KEK may be the only way to open the stored keys.
    pub fn generate_file(path: &Path) -> Result<Self, KeyError> {
        let mut bytes = Zeroizing::new([0u8; KEK_LEN]);
        aws_lc_rs::rand::fill(bytes.as_mut()).map_err(|_| KeyError::Crypto("random bytes"))?;
        let mut text = Zeroizing::new(STANDARD.encode(bytes.as_ref()));
        text.push('\n');

        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .map_err(|source| file_error(path, source))?;
        let written = file
            .write_all(text.as_bytes())
            .and_then(|()| file.sync_all());
        if let Err(source) = written {
            // A half-written file would fail every later start.
            let _ = std::fs::remove_file(path);
            return Err(file_error(path, source));
        }
        Self::from_bytes(bytes.as_ref())
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != KEK_LEN {
            return Err(KeyError::InvalidKeyEncryptionKey(
                "it must be 32 bytes (44 characters of base64)",
            ));
        }
        RandomizedNonceKey::new(&AES_256_GCM, bytes)
            .map(Self)
            .map_err(|_| KeyError::Crypto("AES-256-GCM key"))
    }

    /// Seals a private key (PKCS#8 DER) for the key row `kid`.
    pub(crate) fn seal(
        &self,
        kid: &str,
        alg: SigningAlg,
        private_key: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        let mut ciphertext = private_key.to_vec();
        let nonce = self
            .0
            .seal_in_place_append_tag(Aad::from(associated_data(kid, alg)), &mut ciphertext)
            .map_err(|_| KeyError::Crypto("AES-256-GCM sealing"))?;
        let mut sealed = nonce.as_ref().to_vec();
        sealed.append(&mut ciphertext);
        Ok(sealed)
    }

    /// Opens what [`seal`](Self::seal) made for the same `kid` and `alg`.
    /// Any mismatch (another KEK, another row, altered bytes) is one error.
    pub(crate) fn open(
        &self,
        kid: &str,
        alg: SigningAlg,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let mismatch = || KeyError::WrongKeyEncryptionKey {
            kid: kid.to_owned(),
        };
        if sealed.len() < NONCE_LEN {
            return Err(mismatch());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| mismatch())?;
        let mut plaintext = Zeroizing::new(ciphertext.to_vec());
        let length = self
            .0
            .open_in_place(nonce, Aad::from(associated_data(kid, alg)), &mut plaintext)
            .map_err(|_| mismatch())?
            .len();
        plaintext.truncate(length);
        Ok(plaintext)
    }

    /// A random KEK, for tests elsewhere in the module.
    #[cfg(test)]
    pub(crate) fn random() -> Self {
        let mut bytes = [0u8; KEK_LEN];
        aws_lc_rs::rand::fill(&mut bytes).unwrap();
        Self::from_bytes(&bytes).unwrap()
    }
}

impl fmt::Debug for KeyEncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyEncryptionKey([redacted])")
    }
}

/// Binds a sealed key to its row; neither part can contain the separator.
fn associated_data(kid: &str, alg: SigningAlg) -> Vec<u8> {
    format!("portcullis signing key|{alg}|{kid}").into_bytes()
}

fn file_error(path: &Path, source: std::io::Error) -> KeyError {
    KeyError::KeyEncryptionKeyFile {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PKCS8: &[u8] = b"a private key, as DER";

    #[test]
    fn sealed_key_opens_with_the_same_kek_kid_and_alg() {
        let kek = KeyEncryptionKey::random();
        let sealed = kek.seal("kid-1", SigningAlg::Es256, PKCS8).unwrap();
        assert_eq!(sealed.len(), NONCE_LEN + PKCS8.len() + 16);
        assert!(!sealed.windows(PKCS8.len()).any(|w| w == PKCS8));
        let opened = kek.open("kid-1", SigningAlg::Es256, &sealed).unwrap();
        assert_eq!(opened.as_slice(), PKCS8);
        // A random nonce each time: the same key never seals the same way.
        assert_ne!(sealed, kek.seal("kid-1", SigningAlg::Es256, PKCS8).unwrap());
    }

    #[test]
    fn another_kek_gets_the_clear_mismatch_error() {
        let sealed = KeyEncryptionKey::random()
            .seal("kid-1", SigningAlg::Rs256, PKCS8)
            .unwrap();
        let error = KeyEncryptionKey::random()
            .open("kid-1", SigningAlg::Rs256, &sealed)
            .unwrap_err();
        assert!(matches!(error, KeyError::WrongKeyEncryptionKey { .. }));
        assert!(error
            .to_string()
            .starts_with("the key-encryption key does not match the stored signing keys"));
    }

    #[test]
    fn tampered_or_truncated_ciphertext_does_not_open() {
        let kek = KeyEncryptionKey::random();
        let sealed = kek.seal("kid-1", SigningAlg::Rs256, PKCS8).unwrap();
        for index in [0, NONCE_LEN, sealed.len() - 1] {
            let mut tampered = sealed.clone();
            tampered[index] ^= 1;
            assert!(kek.open("kid-1", SigningAlg::Rs256, &tampered).is_err());
        }
        for length in [0, NONCE_LEN - 1, NONCE_LEN, sealed.len() - 1] {
            assert!(kek
                .open("kid-1", SigningAlg::Rs256, &sealed[..length])
                .is_err());
        }
    }

    #[test]
    fn sealed_key_moved_to_another_kid_or_alg_does_not_open() {
        let kek = KeyEncryptionKey::random();
        let sealed = kek.seal("kid-1", SigningAlg::Es256, PKCS8).unwrap();
        assert!(kek.open("kid-2", SigningAlg::Es256, &sealed).is_err());
        assert!(kek.open("kid-1", SigningAlg::EdDsa, &sealed).is_err());
    }

    #[test]
    fn kek_reads_from_base64_with_whitespace_and_refuses_other_lengths() {
        let encoded = STANDARD.encode([7u8; 32]);
        let kek = KeyEncryptionKey::from_base64(&format!(" {encoded}\n")).unwrap();
        let same = KeyEncryptionKey::from_base64(&encoded).unwrap();
        let sealed = kek.seal("kid", SigningAlg::Rs256, PKCS8).unwrap();
        assert!(same.open("kid", SigningAlg::Rs256, &sealed).is_ok());

        for bad in ["", "not base64!", &STANDARD.encode([7u8; 16])] {
            assert!(matches!(
                KeyEncryptionKey::from_base64(bad),
                Err(KeyError::InvalidKeyEncryptionKey(_))
            ));
        }
    }

    #[test]
    fn generated_file_is_owner_only_reloads_and_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kek");
        let kek = KeyEncryptionKey::generate_file(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let contents = std::fs::read_to_string(&path).unwrap();
        assert_eq!(STANDARD.decode(contents.trim()).unwrap().len(), 32);

        let reloaded = KeyEncryptionKey::from_file(&path).unwrap();
        let sealed = kek.seal("kid", SigningAlg::EdDsa, PKCS8).unwrap();
        assert!(reloaded.open("kid", SigningAlg::EdDsa, &sealed).is_ok());

        let error = KeyEncryptionKey::generate_file(&path).unwrap_err();
        assert!(matches!(
            &error,
            KeyError::KeyEncryptionKeyFile { source, .. }
                if source.kind() == std::io::ErrorKind::AlreadyExists
        ));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), contents);
    }

    #[test]
    fn kek_file_must_exist_and_hold_base64_text() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing");
        assert!(matches!(
            KeyEncryptionKey::from_file(&missing),
            Err(KeyError::KeyEncryptionKeyFile { .. })
        ));
        let raw = dir.path().join("raw");
        std::fs::write(&raw, [0xffu8; 32]).unwrap();
        assert!(matches!(
            KeyEncryptionKey::from_file(&raw),
            Err(KeyError::InvalidKeyEncryptionKey(_))
        ));
    }

    #[test]
    fn debug_output_never_shows_the_kek() {
        let encoded = STANDARD.encode([0x41u8; 32]);
        let kek = KeyEncryptionKey::from_base64(&encoded).unwrap();
        let shown = format!("{kek:?} {kek:#?}");
        assert!(shown.contains("redacted"));
        assert!(!shown.contains(&encoded[..8]) && !shown.contains("65, 65"));
    }
}
