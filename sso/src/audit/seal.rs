//! Sealing a segment: an Ed25519 signature over the facts that pin its records (stream,
//! segment number, first and last sequence numbers, the hash before the first record and
//! the hash of the last). The audit key is its own key pair, apart from the assertion key:
//! see `docs/audit.md` for why.

use std::path::Path;

use base64::Engine as _;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair as _, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

use super::AuditError;
use super::chain::hex;

/// What a seal pins, as written in `yakuba.seal` (with `key_id` and `signature`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealFacts {
    /// The stream (`gateway`, `app`).
    pub stream: String,
    /// Segment number.
    pub segment: u64,
    /// Sequence number of the segment's first record.
    pub first_seq: u64,
    /// Sequence number of the last record before the seal.
    pub last_seq: u64,
    /// Records before the seal (torn lines not counted).
    pub records: u64,
    /// The `prev` of the first record.
    pub first_prev: String,
    /// Hash of the last line before the seal.
    pub last_hash: String,
    /// When sealed, Unix milliseconds.
    pub sealed_at: i64,
    /// Whether the writer closed the segment itself; `false` when a later start sealed a
    /// segment left open by a crash (records in flight at the crash may be missing).
    pub clean: bool,
    /// Lines left incomplete by a crash, skipped by the chain (1-based line numbers).
    #[serde(default)]
    pub torn_lines: Vec<u64>,
}

impl SealFacts {
    /// The exact bytes signed.
    fn message(&self) -> String {
        let torn: Vec<String> = self.torn_lines.iter().map(u64::to_string).collect();
        format!(
            "yakuba-audit-seal-v1\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}",
            self.stream,
            self.segment,
            self.first_seq,
            self.last_seq,
            self.records,
            self.first_prev,
            self.last_hash,
            self.sealed_at,
            self.clean,
            torn.join(",")
        )
    }
}

/// A seal as written: the facts, the signing key's id and the signature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Seal {
    /// What is pinned.
    #[serde(flatten)]
    pub facts: SealFacts,
    /// Id of the key that signed.
    pub key_id: String,
    /// Ed25519 signature over the facts, base64.
    pub signature: String,
}

/// The private audit key: signs seals.
pub struct SealKey {
    pair: Ed25519KeyPair,
    id: String,
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealKey({})", self.id)
    }
}

/// The id of a public key: the first 16 hex digits of its SHA-256.
fn key_id(public: &[u8]) -> String {
    use sha2::Digest as _;
    hex(&sha2::Sha256::digest(public)[..8])
}

impl SealKey {
    /// Load a PKCS#8 PEM Ed25519 private key, creating it (and its public half beside it as
    /// `.pub`) when `create` is set and the file is missing.
    pub fn load_or_create(path: &Path, create: bool) -> Result<SealKey, AuditError> {
        if create && !path.exists() {
            let (private, public) = crate::assertion::generate_ed25519_pem()
                .map_err(|e| AuditError::Key(path.display().to_string(), e.to_string()))?;
            write_private(path, private.as_bytes())?;
            std::fs::write(path.with_extension("pub"), public)
                .map_err(|e| AuditError::io(&path.with_extension("pub"), e))?;
        }
        let pem = std::fs::read(path).map_err(|e| AuditError::io(path, e))?;
        let der = rustls_pemfile::read_all(&mut &pem[..])
            .find_map(|item| match item {
                Ok(rustls_pemfile::Item::Pkcs8Key(key)) => Some(key.secret_pkcs8_der().to_vec()),
                _ => None,
            })
            .ok_or_else(|| {
                AuditError::Key(path.display().to_string(), "no PRIVATE KEY block".into())
            })?;
        let pair = Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der)
            .map_err(|e| AuditError::Key(path.display().to_string(), e.to_string()))?;
        let id = key_id(pair.public_key().as_ref());
        Ok(SealKey { pair, id })
    }

    /// This key's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The public half, for verifiers.
    pub fn verifier(&self) -> SealVerifier {
        SealVerifier {
            keys: vec![(self.id.clone(), self.pair.public_key().as_ref().to_vec())],
        }
    }

    /// Sign `facts`.
    pub fn seal(&self, facts: SealFacts) -> Seal {
        let signature = self.sign_message(facts.message().as_bytes());
        Seal {
            facts,
            key_id: self.id.clone(),
            signature,
        }
    }

    /// An Ed25519 signature over `message`, base64 (seals and checkpoints; each message
    /// starts with its own domain tag).
    pub(crate) fn sign_message(&self, message: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.pair.sign(message).as_ref())
    }
}

/// Write a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), AuditError> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| AuditError::io(dir, e))?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| AuditError::io(path, e))?;
    file.write_all(bytes).map_err(|e| AuditError::io(path, e))
}

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32-byte key follows.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Public audit keys that seals are checked against (old keys stay valid for old segments).
#[derive(Debug, Clone, Default)]
pub struct SealVerifier {
    keys: Vec<(String, Vec<u8>)>,
}

impl SealVerifier {
    /// Add a public key from an SPKI `PUBLIC KEY` PEM file.
    pub fn add_file(&mut self, path: &Path) -> Result<(), AuditError> {
        let pem = std::fs::read(path).map_err(|e| AuditError::io(path, e))?;
        let raw = rustls_pemfile::read_all(&mut &pem[..])
            .find_map(|item| match item {
                Ok(rustls_pemfile::Item::SubjectPublicKeyInfo(spki)) => spki
                    .strip_prefix(&ED25519_SPKI_PREFIX[..])
                    .map(<[u8]>::to_vec),
                _ => None,
            })
            .filter(|k| k.len() == 32)
            .ok_or_else(|| {
                AuditError::Key(
                    path.display().to_string(),
                    "not an Ed25519 PUBLIC KEY".into(),
                )
            })?;
        self.keys.push((key_id(&raw), raw));
        Ok(())
    }

    /// Whether `seal` is a valid signature over its facts by one of the keys.
    pub fn check(&self, seal: &Seal) -> Result<(), SealProblem> {
        self.check_message(
            &seal.key_id,
            &seal.signature,
            seal.facts.message().as_bytes(),
        )
    }

    /// Whether `signature` (base64) is key `key_id`'s over `message`.
    pub(crate) fn check_message(
        &self,
        key_id: &str,
        signature: &str,
        message: &[u8],
    ) -> Result<(), SealProblem> {
        let Some((_, key)) = self.keys.iter().find(|(id, _)| id == key_id) else {
            return Err(SealProblem::UnknownKey(key_id.to_owned()));
        };
        let signature = base64::engine::general_purpose::STANDARD
            .decode(signature)
            .map_err(|_| SealProblem::BadSignature)?;
        UnparsedPublicKey::new(&ED25519, key)
            .verify(message, &signature)
            .map_err(|_| SealProblem::BadSignature)
    }

    /// Whether no key was given.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// Why a seal does not check out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealProblem {
    /// Signed by a key the verifier was not given.
    UnknownKey(String),
    /// The signature does not match the facts.
    BadSignature,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> SealFacts {
        SealFacts {
            stream: "gateway".into(),
            segment: 3,
            first_seq: 10,
            last_seq: 19,
            records: 10,
            first_prev: "a".repeat(64),
            last_hash: "b".repeat(64),
            sealed_at: 1,
            clean: true,
            torn_lines: vec![],
        }
    }

    #[test]
    fn a_seal_checks_out_only_unchanged_and_with_the_right_key() {
        let dir = tempfile::tempdir().unwrap();
        let key = SealKey::load_or_create(&dir.path().join("audit.key"), true).unwrap();
        let mut verifier = SealVerifier::default();
        verifier.add_file(&dir.path().join("audit.pub")).unwrap();
        let seal = key.seal(facts());
        assert_eq!(verifier.check(&seal), Ok(()));

        let mut changed = seal.clone();
        changed.facts.last_seq = 20;
        assert_eq!(verifier.check(&changed), Err(SealProblem::BadSignature));

        let other = SealKey::load_or_create(&dir.path().join("other.key"), true).unwrap();
        assert!(matches!(
            verifier.check(&other.seal(facts())),
            Err(SealProblem::UnknownKey(_))
        ));
        // Loading again gives the same key.
        let again = SealKey::load_or_create(&dir.path().join("audit.key"), true).unwrap();
        assert_eq!(again.id(), key.id());
    }
}
