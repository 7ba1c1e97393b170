//! The signature algorithms we publish, by their JOSE names (RFC 7518 §3.1,
//! RFC 8037 §3.1), and the `at_hash` / `c_hash` values that depend on them.

use super::KeyError;
use aws_lc_rs::digest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A JWS signature algorithm, one key type each: RSA 2048, P-256, Ed25519.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum SigningAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256; every OP must offer it (OpenID
    /// Connect Core §15.1).
    #[serde(rename = "RS256")]
    Rs256,
    /// ECDSA on P-256 with SHA-256 (RFC 7518 §3.4): the fastest to sign.
    #[serde(rename = "ES256")]
    Es256,
    /// Ed25519 (RFC 8037 §3.1).
    #[serde(rename = "EdDSA")]
    EdDsa,
}

impl SigningAlg {
    /// Every supported algorithm, RS256 first: the value of discovery's
    /// `id_token_signing_alg_values_supported` when all are configured.
    pub const ALL: [SigningAlg; 3] = [SigningAlg::Rs256, SigningAlg::Es256, SigningAlg::EdDsa];

    /// The JOSE name, the `alg` of headers and JWKs.
    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Rs256 => "RS256",
            SigningAlg::Es256 => "ES256",
            SigningAlg::EdDsa => "EdDSA",
        }
    }

    pub(crate) fn jose(self) -> jsonwebtoken::Algorithm {
        match self {
            SigningAlg::Rs256 => jsonwebtoken::Algorithm::RS256,
            SigningAlg::Es256 => jsonwebtoken::Algorithm::ES256,
            SigningAlg::EdDsa => jsonwebtoken::Algorithm::EdDSA,
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlg {
    type Err = KeyError;

    /// JOSE names are case-sensitive (RFC 7515 §4.1.1); `none` is never ours.
    fn from_str(name: &str) -> Result<Self, KeyError> {
        SigningAlg::ALL
            .into_iter()
            .find(|alg| alg.as_str() == name)
            .ok_or_else(|| KeyError::UnsupportedAlgorithm(name.to_owned()))
    }
}

/// The `at_hash` of an access token or the `c_hash` of a code (OpenID
/// Connect Core §3.1.3.6, §3.3.2.11): base64url of the left half of the
/// hash of the token's ASCII, with the hash of the ID token's `alg` —
/// SHA-256 for RS256 and ES256, SHA-512 for EdDSA with Ed25519 (the OpenID
/// Foundation's clarification; Ed25519 signs with SHA-512).
pub fn left_half_hash(alg: SigningAlg, token: &str) -> String {
    let hash_algorithm = match alg {
        SigningAlg::Rs256 | SigningAlg::Es256 => &digest::SHA256,
        SigningAlg::EdDsa => &digest::SHA512,
    };
    let hash = digest::digest(hash_algorithm, token.as_bytes());
    let hash = hash.as_ref();
    URL_SAFE_NO_PAD.encode(&hash[..hash.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256, Sha512};

    #[test]
    fn jose_names_are_the_wire_form_both_ways() {
        for alg in SigningAlg::ALL {
            let json = serde_json::to_string(&alg).unwrap();
            assert_eq!(json, format!("\"{alg}\""));
            assert_eq!(serde_json::from_str::<SigningAlg>(&json).unwrap(), alg);
            assert_eq!(alg.as_str().parse::<SigningAlg>().unwrap(), alg);
        }
        assert_eq!(SigningAlg::EdDsa.to_string(), "EdDSA");
    }

    #[test]
    fn none_unknown_and_miscased_names_are_refused() {
        for name in ["none", "HS256", "rs256", "EDDSA", ""] {
            assert!(matches!(
                name.parse::<SigningAlg>(),
                Err(KeyError::UnsupportedAlgorithm(_))
            ));
            assert!(serde_json::from_str::<SigningAlg>(&format!("\"{name}\"")).is_err());
        }
    }

    #[test]
    fn discovery_lists_the_mandatory_rs256_first() {
        assert_eq!(SigningAlg::ALL[0], SigningAlg::Rs256);
        assert_eq!(SigningAlg::ALL.len(), 3);
    }

    #[test]
    fn at_hash_matches_the_openid_connect_core_example() {
        // OpenID Connect Core, Appendix A.3 (an RS256 ID token).
        let access_token = "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y";
        assert_eq!(
            left_half_hash(SigningAlg::Rs256, access_token),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        // Appendix A.4: the c_hash of a code is the same computation.
        let code = "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk";
        assert_eq!(
            left_half_hash(SigningAlg::Rs256, code),
            "LDktKdoQak3Pk0cnXxCltA"
        );
    }

    #[test]
    fn left_half_hash_uses_sha256_or_sha512_by_alg() {
        let token = "an access token";
        let sha256 = Sha256::digest(token.as_bytes());
        let sha512 = Sha512::digest(token.as_bytes());
        let expected_256 = URL_SAFE_NO_PAD.encode(&sha256[..16]);
        let expected_512 = URL_SAFE_NO_PAD.encode(&sha512[..32]);
        assert_eq!(left_half_hash(SigningAlg::Rs256, token), expected_256);
        assert_eq!(left_half_hash(SigningAlg::Es256, token), expected_256);
        assert_eq!(left_half_hash(SigningAlg::EdDsa, token), expected_512);
        assert_eq!(expected_512.len(), 43);
    }
}
