//! Request parameters after the wire format was decoded.

use super::OAuthError;
use std::collections::BTreeMap;

/// Longest value accepted for any parameter; real values are far shorter.
pub const MAX_PARAM_LEN: usize = 4096;

/// Single-valued request parameters (RFC 6749 §3.1: a parameter MUST NOT be
/// included more than once; one sent without a value is as if omitted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    /// Builds the parameters from decoded pairs, refusing repeats and
    /// oversized values.
    pub fn from_pairs<I>(pairs: I) -> Result<Self, OAuthError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut map = BTreeMap::new();
        for (name, value) in pairs {
            check(&name, &value)?;
            if map.contains_key(&name) {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {} is repeated",
                    truncate(&name)
                )));
            }
            map.insert(name, value);
        }
        Ok(Params(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter {name}")))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The rules every parameter follows wherever it came from (a body, a
/// query string, the Basic header): a bounded length, and no NUL, which has
/// no place in any OAuth value and which some databases refuse.
pub fn check(name: &str, value: &str) -> Result<(), OAuthError> {
    if value.len() > MAX_PARAM_LEN || name.len() > MAX_PARAM_LEN {
        return Err(OAuthError::invalid_request(format!(
            "parameter {} is too long",
            truncate(name)
        )));
    }
    if name.contains('\0') || value.contains('\0') {
        return Err(OAuthError::invalid_request(
            "parameters must not contain NUL",
        ));
    }
    Ok(())
}

/// A parameter name as quoted in an error: its first 40 characters.
pub fn truncate(name: &str) -> &str {
    let end = name
        .char_indices()
        .map(|(i, _)| i)
        .nth(40)
        .unwrap_or(name.len());
    &name[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn repeated_parameter_is_invalid_request() {
        // RFC 6749 §3.1
        let err = Params::from_pairs(pairs(&[("scope", "a"), ("scope", "b")])).unwrap_err();
        assert_eq!(err.code, super::super::ErrorCode::InvalidRequest);
    }

    #[test]
    fn empty_value_counts_as_omitted() {
        let params = Params::from_pairs(pairs(&[("scope", "")])).unwrap();
        assert_eq!(params.get("scope"), None);
        assert!(params.require("scope").is_err());
    }

    #[test]
    fn oversized_value_is_refused() {
        let long = "x".repeat(MAX_PARAM_LEN + 1);
        assert!(Params::from_pairs(pairs(&[("username", &long)])).is_err());
    }
}
