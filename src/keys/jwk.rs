//! Public keys as JWKs (RFC 7517), the JWK Set of the `jwks_uri`, and the
//! RFC 7638 thumbprint that names every key (`kid`).
//!
//! Members per key type: RSA `n`, `e` (RFC 7518 §6.3.1), EC `crv`, `x`, `y`
//! (RFC 7518 §6.2.1), OKP `crv`, `x` (RFC 8037 §2); values are base64url
//! without padding (RFC 7515 §2), integers big-endian without leading zeros.

use super::{rotation, KeyError, SigningAlg, StoredKey};
use aws_lc_rs::digest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::DecodingKey;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One public signing key as published: its key-type members, then `kid`,
/// `alg` and `use`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// `kty` and the members it requires.
    #[serde(flatten)]
    pub key: PublicKeyParams,
    /// The RFC 7638 thumbprint of `key`.
    pub kid: String,
    /// The only algorithm this key signs with (RFC 7517 §4.4).
    pub alg: SigningAlg,
    /// Always `sig` (RFC 7517 §4.2).
    #[serde(rename = "use")]
    pub key_use: KeyUse,
}

/// The key-type members of a public key, tagged by `kty` (RFC 7518 §6.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kty")]
pub enum PublicKeyParams {
    /// An RSA public key: modulus and exponent.
    #[serde(rename = "RSA")]
    Rsa {
        /// The modulus.
        n: String,
        /// The public exponent (`AQAB` for 65537).
        e: String,
    },
    /// A point on a NIST curve; ours is always `P-256`.
    #[serde(rename = "EC")]
    Ec {
        /// The curve.
        crv: String,
        /// The x coordinate, 32 bytes for P-256.
        x: String,
        /// The y coordinate, 32 bytes for P-256.
        y: String,
    },
    /// An octet key pair's public key; ours is always `Ed25519`.
    #[serde(rename = "OKP")]
    Okp {
        /// The curve.
        crv: String,
        /// The 32-byte public key.
        x: String,
    },
}

/// The intended use of a published key; we publish signing keys only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyUse {
    /// `sig`: verifies signatures.
    #[serde(rename = "sig")]
    Signature,
}

/// A JWK Set, `{"keys":[…]}` (RFC 7517 §5): the body of the `jwks_uri`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The published keys.
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The JWK Set of the keys published at `now` (see [`published`](super::published)).
    pub fn published(keys: &[StoredKey], now: i64) -> Self {
        let keys = rotation::published(keys, now)
            .into_iter()
            .map(|key| key.public_jwk.clone())
            .collect();
        Jwks { keys }
    }
}

impl PublicKeyParams {
    /// The RFC 7638 JWK thumbprint: base64url of the SHA-256 of the JSON of
    /// the required members only (§3.2), sorted by name, without whitespace
    /// (§3.3). It names the key independently of where it is stored.
    pub fn thumbprint(&self) -> Result<String, KeyError> {
        let members: BTreeMap<&str, &str> = match self {
            PublicKeyParams::Rsa { n, e } => {
                [("kty", "RSA"), ("n", n.as_str()), ("e", e.as_str())].into()
            }
            PublicKeyParams::Ec { crv, x, y } => [
                ("kty", "EC"),
                ("crv", crv.as_str()),
                ("x", x.as_str()),
                ("y", y.as_str()),
            ]
            .into(),
            PublicKeyParams::Okp { crv, x } => {
                [("kty", "OKP"), ("crv", crv.as_str()), ("x", x.as_str())].into()
            }
        };
        let canonical = serde_json::to_string(&members)?;
        let hash = digest::digest(&digest::SHA256, canonical.as_bytes());
        Ok(URL_SAFE_NO_PAD.encode(hash))
    }

    pub(crate) fn rsa(modulus: &[u8], exponent: &[u8]) -> Self {
        PublicKeyParams::Rsa {
            n: URL_SAFE_NO_PAD.encode(modulus),
            e: URL_SAFE_NO_PAD.encode(exponent),
        }
    }

    /// From an uncompressed SEC1 point, `04 ‖ x ‖ y` (32 bytes each).
    pub(crate) fn p256(point: &[u8]) -> Result<Self, KeyError> {
        match point {
            [0x04, coordinates @ ..] if coordinates.len() == 64 => Ok(PublicKeyParams::Ec {
                crv: "P-256".to_owned(),
                x: URL_SAFE_NO_PAD.encode(&coordinates[..32]),
                y: URL_SAFE_NO_PAD.encode(&coordinates[32..]),
            }),
            _ => Err(KeyError::Crypto("P-256 public key")),
        }
    }

    pub(crate) fn ed25519(public_key: &[u8]) -> Self {
        PublicKeyParams::Okp {
            crv: "Ed25519".to_owned(),
            x: URL_SAFE_NO_PAD.encode(public_key),
        }
    }
}

impl Jwk {
    /// The verifier for this key, refusing a key type that is not the one
    /// its `alg` needs (RFC 8725 §3.1: one key, one algorithm).
    pub(crate) fn decoding_key(&self) -> Result<DecodingKey, jsonwebtoken::errors::Error> {
        use jsonwebtoken::errors::ErrorKind;
        match (&self.key, self.alg) {
            (PublicKeyParams::Rsa { n, e }, SigningAlg::Rs256) => {
                DecodingKey::from_rsa_components(n, e)
            }
            (PublicKeyParams::Ec { crv, x, y }, SigningAlg::Es256) if crv == "P-256" => {
                DecodingKey::from_ec_components(x, y)
            }
            (PublicKeyParams::Okp { crv, x }, SigningAlg::EdDsa) if crv == "Ed25519" => {
                DecodingKey::from_ed_components(x)
            }
            _ => Err(ErrorKind::InvalidKeyFormat.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // RFC 7638 §3.1.
    const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    #[test]
    fn thumbprint_matches_rfc7638_section_3_1() {
        let key = PublicKeyParams::Rsa {
            n: RFC7638_N.to_owned(),
            e: "AQAB".to_owned(),
        };
        assert_eq!(
            key.thumbprint().unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn thumbprint_hashes_the_required_members_sorted_without_whitespace() {
        let ec = PublicKeyParams::Ec {
            crv: "P-256".into(),
            x: "xx".into(),
            y: "yy".into(),
        };
        let canonical = r#"{"crv":"P-256","kty":"EC","x":"xx","y":"yy"}"#;
        let expected =
            URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, canonical.as_bytes()));
        assert_eq!(ec.thumbprint().unwrap(), expected);

        let okp = PublicKeyParams::Okp {
            crv: "Ed25519".into(),
            x: "xx".into(),
        };
        let canonical = r#"{"crv":"Ed25519","kty":"OKP","x":"xx"}"#;
        let expected =
            URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, canonical.as_bytes()));
        assert_eq!(okp.thumbprint().unwrap(), expected);
    }

    #[test]
    fn jwk_members_follow_rfc7518_and_rfc8037() {
        let rsa = PublicKeyParams::rsa(&[0xd2, 0xfc], &[1, 0, 1]);
        let jwk = Jwk {
            key: rsa,
            kid: "k".into(),
            alg: SigningAlg::Rs256,
            key_use: KeyUse::Signature,
        };
        assert_eq!(
            serde_json::to_value(&jwk).unwrap(),
            json!({"kty": "RSA", "n": "0vw", "e": "AQAB", "kid": "k", "alg": "RS256", "use": "sig"})
        );

        let mut point = vec![0x04];
        point.extend([0xfb; 32]);
        point.extend([0xff; 32]);
        let ec = PublicKeyParams::p256(&point).unwrap();
        let PublicKeyParams::Ec { crv, x, y } = &ec else {
            panic!("not EC")
        };
        assert_eq!(crv, "P-256");
        assert_eq!((x.len(), y.len()), (43, 43));
        assert!(x.starts_with("-_v7") && y.starts_with("____"));
        assert!(PublicKeyParams::p256(&point[1..]).is_err());
        assert!(PublicKeyParams::p256(&point[..64]).is_err());

        let okp = serde_json::to_value(PublicKeyParams::ed25519(&[0; 32])).unwrap();
        assert_eq!(
            okp,
            json!({"kty": "OKP", "crv": "Ed25519", "x": "A".repeat(43)})
        );
    }

    #[test]
    fn jwks_is_a_keys_array_and_reads_back() {
        let jwk = Jwk {
            key: PublicKeyParams::ed25519(&[1; 32]),
            kid: "k".into(),
            alg: SigningAlg::EdDsa,
            key_use: KeyUse::Signature,
        };
        let jwks = Jwks {
            keys: vec![jwk.clone()],
        };
        let json = serde_json::to_string(&jwks).unwrap();
        assert!(json.starts_with(r#"{"keys":[{"kty":"OKP""#));
        assert_eq!(serde_json::from_str::<Jwks>(&json).unwrap(), jwks);
        assert_eq!(
            serde_json::to_string(&Jwks::default()).unwrap(),
            r#"{"keys":[]}"#
        );
    }

    #[test]
    fn a_key_type_that_does_not_fit_its_alg_gives_no_verifier() {
        let mismatched = Jwk {
            key: PublicKeyParams::ed25519(&[1; 32]),
            kid: "k".into(),
            alg: SigningAlg::Es256,
            key_use: KeyUse::Signature,
        };
        assert!(mismatched.decoding_key().is_err());
        let wrong_curve = Jwk {
            key: PublicKeyParams::Okp {
                crv: "X25519".into(),
                x: URL_SAFE_NO_PAD.encode([1; 32]),
            },
            alg: SigningAlg::EdDsa,
            ..mismatched
        };
        assert!(wrong_curve.decoding_key().is_err());
    }
}
