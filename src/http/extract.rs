//! Decoding request bodies and the Basic header into [`Params`]: form,
//! multipart (what `curl -F` sends) and JSON, strictly UTF-8, with repeated
//! parameters refused (RFC 6749 §3.1) and a size limit. Its length is the
//! three body formats and the robustness test that mutates them.

use super::client_address::ClientAddress;
use super::AppState;
use crate::oauth::client_auth::{BasicCredentials, ClientRequest};
use crate::oauth::params::{self, truncate};
use crate::oauth::{OAuthError, Params};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{header, HeaderMap};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// SPEC §7: 64 KiB per body.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Why a body could not be turned into parameters.
#[derive(Debug)]
pub enum BodyError {
    TooLarge,
    Invalid(OAuthError),
}

impl From<OAuthError> for BodyError {
    fn from(error: OAuthError) -> Self {
        BodyError::Invalid(error)
    }
}

/// A back-channel OAuth request: its parameters, Basic credentials and
/// the client's address.
pub struct OAuthRequest {
    pub params: Params,
    pub basic: Option<BasicCredentials>,
    pub address: ClientAddress,
}

impl OAuthRequest {
    /// The request as the protocol core takes it.
    pub fn client_request(&self) -> ClientRequest<'_> {
        ClientRequest {
            params: &self.params,
            basic: self.basic.as_ref(),
            address: self.address.0,
        }
    }
}

impl FromRequest<AppState> for OAuthRequest {
    type Rejection = super::error::ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = request.into_parts();
        let Ok(address) = ClientAddress::from_request_parts(&mut parts, state).await;
        let basic = basic_credentials(&parts.headers)?;
        let params = read_params(&parts.headers, body).await?;
        Ok(OAuthRequest {
            params,
            basic,
            address,
        })
    }
}

/// Reads at most [`BODY_LIMIT`] bytes.
pub async fn read_body(body: Body) -> Result<Bytes, BodyError> {
    axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|error| {
            let too_large = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            if too_large {
                BodyError::TooLarge
            } else {
                BodyError::Invalid(OAuthError::invalid_request(
                    "the request body could not be read",
                ))
            }
        })
}

pub async fn read_params(headers: &HeaderMap, body: Body) -> Result<Params, BodyError> {
    let bytes = read_body(body).await?;
    Ok(parse_params(headers, bytes).await?)
}

/// Decodes a body by its content type.
pub async fn parse_params(headers: &HeaderMap, body: Bytes) -> Result<Params, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("invalid"))
        .unwrap_or("application/x-www-form-urlencoded");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let pairs = match essence.as_str() {
        "application/x-www-form-urlencoded" => parse_urlencoded(&body)?,
        "multipart/form-data" => parse_multipart(content_type, body).await?,
        "application/json" => parse_json(&body)?,
        _ => {
            return Err(OAuthError::invalid_request(
                "unsupported content type: send application/x-www-form-urlencoded, \
                 multipart/form-data or application/json",
            ))
        }
    };
    Params::from_pairs(pairs)
}

fn percent_decode(raw: &[u8]) -> Result<String, OAuthError> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    percent_encoding::percent_decode(&plus_as_space)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| OAuthError::invalid_request("parameters must be UTF-8"))
}

/// `application/x-www-form-urlencoded`, refusing invalid UTF-8 instead of
/// replacing it (a replaced byte could make two secrets compare equal).
pub fn parse_urlencoded(body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    body.split(|&b| b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &b""[..]),
            };
            Ok((percent_decode(name)?, percent_decode(value)?))
        })
        .collect()
}

async fn parse_multipart(
    content_type: &str,
    body: Bytes,
) -> Result<Vec<(String, String)>, OAuthError> {
    let malformed = |_| OAuthError::invalid_request("malformed multipart body");
    let boundary = multer::parse_boundary(content_type).map_err(malformed)?;
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut pairs = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(malformed)? {
        let name = field
            .name()
            .ok_or_else(|| OAuthError::invalid_request("multipart field without a name"))?
            .to_owned();
        let value = field.bytes().await.map_err(malformed)?;
        let value = String::from_utf8(value.to_vec())
            .map_err(|_| OAuthError::invalid_request("parameters must be UTF-8"))?;
        pairs.push((name, value));
    }
    Ok(pairs)
}

/// A JSON object whose members are kept in order, repeats included, so that
/// `{"scope":"a","scope":"b"}` is refused like a repeated form field.
struct JsonPairs(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for JsonPairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PairsVisitor;
        impl<'de> Visitor<'de> for PairsVisitor {
            type Value = JsonPairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonPairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(JsonPairs(pairs))
            }
        }
        deserializer.deserialize_map(PairsVisitor)
    }
}

/// A JSON object of strings (a seed sends client_credentials this way).
/// Numbers and booleans are taken as their text, nulls as omitted; nested
/// values are refused.
fn parse_json(body: &[u8]) -> Result<Vec<(String, String)>, OAuthError> {
    let JsonPairs(members) = serde_json::from_slice(body)
        .map_err(|_| OAuthError::invalid_request("the body is not a JSON object"))?;
    let mut pairs = Vec::with_capacity(members.len());
    for (name, value) in members {
        let text = match value {
            serde_json::Value::String(s) => s,
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Null => continue,
            _ => {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {} must be a string",
                    truncate(&name)
                )))
            }
        };
        pairs.push((name, text));
    }
    Ok(pairs)
}

/// `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))`
/// (RFC 6749 §2.3.1). Other schemes are not client authentication.
pub fn basic_credentials(headers: &HeaderMap) -> Result<Option<BasicCredentials>, OAuthError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let malformed = || OAuthError::invalid_client("malformed Basic credentials");
    let value = value.to_str().map_err(|_| malformed())?;
    let Some((scheme, encoded)) = value.split_once(' ') else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Ok(None);
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| malformed())?;
    let colon = decoded
        .iter()
        .position(|&b| b == b':')
        .ok_or_else(malformed)?;
    let client_id = percent_decode(&decoded[..colon]).map_err(|_| malformed())?;
    let client_secret = percent_decode(&decoded[colon + 1..]).map_err(|_| malformed())?;
    if client_id.is_empty() {
        return Err(malformed());
    }
    // The same rules as the same values sent in a form.
    params::check("client_id", &client_id)?;
    params::check("client_secret", &client_secret)?;
    Ok(Some(BasicCredentials {
        client_id,
        client_secret,
    }))
}

/// The token of `Authorization: Bearer …` (RFC 6750 §2.1).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Feeds arbitrary bytes to every request parser, for the fuzz target
/// (fuzz/) and the robustness test below: the first byte picks the content
/// type, the rest is the body, the Authorization header and a query string.
#[doc(hidden)]
pub fn parse_arbitrary(data: &[u8]) {
    const CONTENT_TYPES: [&str; 5] = [
        "application/x-www-form-urlencoded",
        "application/json",
        "multipart/form-data; boundary=X",
        "multipart/form-data",
        "text/plain",
    ];
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut headers = HeaderMap::new();
    let content_type = CONTENT_TYPES[usize::from(selector) % CONTENT_TYPES.len()];
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    let _ = futures::executor::block_on(parse_params(&headers, Bytes::copy_from_slice(rest)));
    // The authorize endpoint's query string.
    let _ = parse_urlencoded(rest).and_then(Params::from_pairs);
    if let Ok(value) = header::HeaderValue::from_bytes(rest) {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value);
        let _ = basic_credentials(&headers);
        let _ = bearer_token(&headers);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use rand::{Rng, SeedableRng};

    /// A deterministic mutation run over the parsers (the fuzz target's
    /// entry point): valid requests, flipped, cut, spliced and padded with
    /// hostile bytes. Any panic fails the test.
    #[test]
    fn parsers_survive_mutated_requests() {
        let seeds: [&[u8]; 6] = [
            b"\x00grant_type=password&username=mike&password=pass&scope=a+b%20c",
            b"\x01{\"grant_type\":\"client_credentials\",\"scope\":[1,{\"a\":null}]}",
            b"\x02--X\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--X--\r\n",
            b"\x00Basic bWlrZV9pZDptaWtlX3NlY3JldA==",
            b"\x00response_type=code&client_id=x&redirect_uri=http%3A%2F%2Fa&state=%E2%82%AC",
            b"\x01{\"a\":\"\\ud800\"}",
        ];
        let hostile: [&[u8]; 6] = [b"%", b"%ff", b"\0", b"&&==", b"[[[[", b"\r\n--X"];
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..20_000 {
            let mut input = seeds[rng.gen_range(0..seeds.len())].to_vec();
            for _ in 0..rng.gen_range(1..4) {
                let at = rng.gen_range(0..=input.len());
                match rng.gen_range(0..4) {
                    0 => input.truncate(at),
                    1 if at < input.len() => input[at] = rng.gen(),
                    2 => {
                        let piece = hostile[rng.gen_range(0..hostile.len())];
                        input.splice(at..at, piece.iter().copied());
                    }
                    _ => input.extend(std::iter::repeat_n(b'a', rng.gen_range(0..5000))),
                }
            }
            parse_arbitrary(&input);
        }
    }

    fn headers(content_type: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_str(content_type).unwrap(),
        );
        h
    }

    #[tokio::test]
    async fn urlencoded_body_decodes_plus_and_percent() {
        let params = parse_params(
            &headers("application/x-www-form-urlencoded"),
            "a=b+c%21&d=".into(),
        )
        .await
        .unwrap();
        assert_eq!(params.get("a"), Some("b c!"));
        assert_eq!(params.get("d"), None);
    }

    #[tokio::test]
    async fn invalid_utf8_is_invalid_request() {
        let body = Bytes::from_static(b"username=%ff%fe");
        assert!(
            parse_params(&headers("application/x-www-form-urlencoded"), body)
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn json_repeated_member_is_refused() {
        let body = Bytes::from_static(br#"{"scope":"a","scope":"b"}"#);
        assert!(parse_params(&headers("application/json"), body)
            .await
            .is_err());
    }

    #[tokio::test]
    async fn multipart_fields_become_parameters() {
        let body = "--X\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\npassword\r\n--X--\r\n";
        let params = parse_params(&headers("multipart/form-data; boundary=X"), body.into())
            .await
            .unwrap();
        assert_eq!(params.get("grant_type"), Some("password"));
    }

    #[tokio::test]
    async fn truncated_multipart_is_invalid_request() {
        let body = "--X\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\npass";
        assert!(
            parse_params(&headers("multipart/form-data; boundary=X"), body.into())
                .await
                .is_err()
        );
    }

    #[test]
    fn basic_credentials_are_form_urldecoded() {
        // RFC 6749 §2.3.1: "a:b" as client id is sent as a%3Ab.
        let mut h = HeaderMap::new();
        let encoded = STANDARD.encode("a%3Ab:s%20t");
        h.insert(
            header::AUTHORIZATION,
            format!("Basic {encoded}").parse().unwrap(),
        );
        let creds = basic_credentials(&h).unwrap().unwrap();
        assert_eq!(creds.client_id, "a:b");
        assert_eq!(creds.client_secret, "s t");
    }

    #[test]
    fn malformed_basic_credentials_are_invalid_client() {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "Basic !!!".parse().unwrap());
        assert!(basic_credentials(&h).is_err());
    }
}
