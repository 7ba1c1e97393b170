//! What the rest of the server needs, worked out from the settings: who may
//! register clients and how, how signing keys are sealed and rotated, how
//! metadata documents are fetched.

use super::*;

impl Config {
    /// Who may register clients at the registration endpoint: as set, or
    /// anyone with `--demo` (so that MCP clients can try the demo), or
    /// nobody.
    pub fn registration_mode(&self) -> RegistrationMode {
        match (self.registration, self.demo) {
            (Some(mode), _) => mode,
            (None, true) => RegistrationMode::Open,
            (None, false) => RegistrationMode::Off,
        }
    }

    /// The registration endpoint's URL, when it is on (RFC 8414 §2
    /// `registration_endpoint`; OpenID Connect Discovery §3).
    pub fn registration_endpoint(&self) -> Option<String> {
        (self.registration_mode() != RegistrationMode::Off).then(|| {
            format!(
                "{}{}",
                self.issuer(),
                crate::oauth::registration::dynamic::REGISTRATION_PATH
            )
        })
    }

    /// Whether client_ids that are https URLs are fetched as Client ID
    /// Metadata Documents: as set, or with `--demo`.
    pub fn client_metadata_documents(&self) -> bool {
        self.client_metadata_documents.unwrap_or(self.demo)
    }

    /// How metadata documents are fetched, when they are accepted.
    pub fn metadata_document_policy(&self) -> anyhow::Result<Option<FetchPolicy>> {
        if !self.client_metadata_documents() {
            return Ok(None);
        }
        let extra_root_certificates = match &self.metadata_document_ca {
            Some(path) => vec![std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?],
            None => Vec::new(),
        };
        Ok(Some(FetchPolicy {
            allow: self.metadata_document_allow.clone(),
            extra_root_certificates,
            ..FetchPolicy::default()
        }))
    }

    /// The scopes self-registered clients may register: the operator's
    /// `registration_scopes` that are also in `scopes_supported`.
    pub fn self_registration_scopes(&self) -> Vec<String> {
        self.registration_scopes
            .iter()
            .filter(|scope| self.scopes_supported.contains(scope))
            .cloned()
            .collect()
    }

    /// The key that seals signing keys: the one configured, or with
    /// `--demo` one kept beside the SQLite database (created on first use).
    pub fn key_encryption_key(&self) -> anyhow::Result<KeyEncryptionKey> {
        if let Some(value) = &self.key_encryption_key {
            return Ok(KeyEncryptionKey::from_base64(value)?);
        }
        if let Some(path) = &self.key_encryption_key_file {
            return Ok(KeyEncryptionKey::from_file(path)?);
        }
        if !self.demo {
            bail!(
                "no key-encryption key: signing keys are stored encrypted. Set \
                 --key-encryption-key (or PORTCULLIS_KEY_ENCRYPTION_KEY) to 32 random bytes in \
                 base64, e.g. from `openssl rand -base64 32`, or name a file with \
                 --key-encryption-key-file"
            );
        }
        let beside = self
            .database_url
            .strip_prefix("sqlite://")
            .or_else(|| self.database_url.strip_prefix("sqlite:"))
            .map(|file| Path::new(file.split('?').next().unwrap_or_default()))
            .and_then(Path::parent)
            .unwrap_or(Path::new(""));
        let path = beside.join("portcullis.kek");
        if path.exists() {
            Ok(KeyEncryptionKey::from_file(&path)?)
        } else {
            tracing::warn!(path = %path.display(), "demo: created a key-encryption key file");
            Ok(KeyEncryptionKey::generate_file(&path)?)
        }
    }

    /// How signing keys rotate under these settings.
    pub fn rotation_policy(&self) -> RotationPolicy {
        // A token may be accepted a little after its `exp` (clock leeway).
        const LEEWAY: i64 = 300;
        RotationPolicy {
            publication_delay: self.key_publication_delay,
            rotate_after: self.key_rotation_days * 24 * 3600,
            ..RotationPolicy::new(self.id_token_ttl.max(self.jwt_access_token_ttl) + LEEWAY)
        }
    }

    /// The rules for registering clients on this server.
    pub fn registration_policy(&self) -> crate::oauth::registration::RegistrationPolicy<'_> {
        crate::oauth::registration::RegistrationPolicy {
            scopes_supported: &self.scopes_supported,
            insecure_http: self.insecure_http,
        }
    }
}
