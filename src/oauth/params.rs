//! Request parameters after the wire format was decoded.

use super::OAuthError;
use std::collections::BTreeMap;

/// Longest value accepted for any parameter; real values are far shorter.
pub const MAX_PARAM_LEN: usize = 4096;

/// Request parameters: single-valued (RFC 6749 §3.1: a parameter MUST NOT
/// be included more than once; one sent without a value is as if omitted),
/// but for those a later RFC lets repeat ([`REPEATABLE`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, Vec<String>>);

/// RFC 8707 §2: `resource` may be sent several times, one target each.
const REPEATABLE: [&str; 1] = ["resource"];

/// More values of one repeatable parameter than any real request sends.
const MAX_REPEATS: usize = 10;

impl Params {
    /// Builds the parameters from decoded pairs, refusing repeats (of all
    /// but [`REPEATABLE`] parameters) and oversized values.
    pub fn from_pairs<I>(pairs: I) -> Result<Self, OAuthError>
    where
        I: IntoIterator<Item = (String, String)>,
    {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, value) in pairs {
            check(&name, &value)?;
            let allowed = if REPEATABLE.contains(&name.as_str()) {
                MAX_REPEATS
            } else {
                1
            };
            let count = map.get(&name).map_or(0, Vec::len);
            if count >= allowed {
                return Err(OAuthError::invalid_request(format!(
                    "parameter {} is repeated",
                    truncate(&name)
                )));
            }
            map.entry(name).or_default().push(value);
        }
        Ok(Params(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .and_then(|values| values.first())
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// Every non-empty value of a [`REPEATABLE`] parameter, in order.
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        self.0
            .get(name)
            .into_iter()
            .flatten()
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter {name}")))
    }

    /// Every (name, value) pair, a repeated parameter once per value.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().flat_map(|(name, values)| {
            values
                .iter()
                .map(move |value| (name.as_str(), value.as_str()))
        })
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
    fn resource_may_repeat_a_few_times() {
        // RFC 8707 §2
        let two = [
            ("resource", "https://a.example"),
            ("resource", "https://b.example"),
        ];
        let params = Params::from_pairs(pairs(&two)).unwrap();
        assert_eq!(
            params.get_all("resource"),
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(params.iter().count(), 2, "each value is carried on");
        let many = vec![("resource", "https://a.example"); MAX_REPEATS + 1];
        assert!(Params::from_pairs(pairs(&many)).is_err());
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
