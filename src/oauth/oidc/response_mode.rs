//! How the authorization response reaches the client: in the redirect
//! URI's query or fragment (OAuth 2.0 Multiple Response Type Encoding
//! Practices §2.1, §5), or as an auto-submitted HTML form (OAuth 2.0 Form
//! Post Response Mode §2).

use crate::oauth::vocabulary::{ResponseMode, ResponseType};
use crate::oauth::OAuthError;
use url::Url;

/// The response mode to answer with: the requested one, or the response
/// type's default (query for `code`, fragment for `token`). Multiple
/// Response Type Encoding Practices §5: parameters whose default is the
/// fragment (an access token) are never put in the query, where servers'
/// logs and the Referer header would keep them.
pub fn resolve(
    requested: Option<ResponseMode>,
    response_type: ResponseType,
) -> Result<ResponseMode, OAuthError> {
    let default = match response_type {
        ResponseType::Code => ResponseMode::Query,
        ResponseType::Token => ResponseMode::Fragment,
    };
    match requested {
        None => Ok(default),
        Some(ResponseMode::Query) if default == ResponseMode::Fragment => Err(
            OAuthError::invalid_request("response_mode=query cannot carry an access token"),
        ),
        Some(mode) => Ok(mode),
    }
}

/// The authorization response, ready for the browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Redirect (302 or 303) to this URL.
    Redirect(String),
    /// Serve [`FormPost::html`] (200, `Cache-Control: no-store`, a CSP that
    /// allows the one script by its nonce).
    FormPost(FormPost),
}

/// A form that POSTs the response parameters to the redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormPost {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

/// Puts the response `parameters` (already with `state` and `iss`) where
/// `mode` says.
pub fn answer(redirect_uri: &str, mode: ResponseMode, parameters: Vec<(&str, String)>) -> Answer {
    match mode {
        ResponseMode::FormPost => Answer::FormPost(FormPost {
            action: redirect_uri.to_owned(),
            fields: parameters
                .into_iter()
                .map(|(name, value)| (name.to_owned(), value))
                .collect(),
        }),
        ResponseMode::Query => Answer::Redirect(location(redirect_uri, false, parameters)),
        ResponseMode::Fragment => Answer::Redirect(location(redirect_uri, true, parameters)),
    }
}

/// The redirect URI with `parameters` added to its query, or put in its
/// fragment. A registered redirect URI always parses (registration checks
/// it); one that does not is returned as it is.
pub fn location(redirect_uri: &str, in_fragment: bool, parameters: Vec<(&str, String)>) -> String {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return redirect_uri.to_owned();
    };
    if in_fragment {
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(parameters)
            .finish();
        url.set_fragment(Some(&encoded));
    } else {
        // RFC 6749 §3.1.2: the redirect URI's own query is kept.
        url.query_pairs_mut().extend_pairs(parameters);
    }
    url.into()
}

impl FormPost {
    /// The page of Form Post Response Mode §2: one form, its fields hidden,
    /// submitted on load by one inline script carrying `script_nonce` (the
    /// CSP nonce the page is served with); without JavaScript, a button.
    /// Every value is escaped for an HTML attribute, so nothing from the
    /// request can close the attribute or open an element.
    pub fn html(&self, script_nonce: &str) -> String {
        let mut fields = String::new();
        for (name, value) in &self.fields {
            fields.push_str(&format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape(name),
                escape(value)
            ));
        }
        format!(
            "<!DOCTYPE html>\n\
             <html lang=\"en\">\n\
             <head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\
             <title>Returning to the application</title></head>\n\
             <body>\n\
             <form method=\"post\" action=\"{action}\">\n\
             {fields}\
             <noscript><p>JavaScript is off: press Continue to return to the application.</p>\
             <button type=\"submit\">Continue</button></noscript>\n\
             </form>\n\
             <script nonce=\"{nonce}\">document.forms[0].submit();</script>\n\
             </body>\n\
             </html>\n",
            action = escape(&self.action),
            nonce = escape(script_nonce),
        )
    }
}

/// HTML escaping for double-quoted attribute values (and text): the five
/// characters that can end a value or start markup, and NUL.
fn escape(value: &str) -> String {
    let mut escaped = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            '\0' => escaped.push('\u{FFFD}'),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parameters() -> Vec<(&'static str, String)> {
        vec![
            ("code", "SplxlOBeZQQYbYS6WxSbIA".into()),
            ("state", "af0ifjsldkj".into()),
            ("iss", "https://op.example".into()),
        ]
    }

    #[test]
    fn the_default_is_query_for_code_and_fragment_for_token() {
        assert_eq!(
            resolve(None, ResponseType::Code).unwrap(),
            ResponseMode::Query
        );
        assert_eq!(
            resolve(None, ResponseType::Token).unwrap(),
            ResponseMode::Fragment
        );
    }

    #[test]
    fn any_mode_may_carry_a_code() {
        for mode in ResponseMode::ALL {
            assert_eq!(resolve(Some(*mode), ResponseType::Code).unwrap(), *mode);
        }
    }

    #[test]
    fn an_access_token_is_never_put_in_the_query() {
        let error = resolve(Some(ResponseMode::Query), ResponseType::Token).unwrap_err();
        assert_eq!(error.code, crate::oauth::ErrorCode::InvalidRequest);
        assert!(resolve(Some(ResponseMode::FormPost), ResponseType::Token).is_ok());
    }

    #[test]
    fn query_mode_appends_to_the_redirect_uris_own_query() {
        let answer = answer(
            "https://rp.example/cb?x=1",
            ResponseMode::Query,
            parameters(),
        );
        assert_eq!(
            answer,
            Answer::Redirect(
                "https://rp.example/cb?x=1&code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj\
                 &iss=https%3A%2F%2Fop.example"
                    .into()
            )
        );
    }

    #[test]
    fn fragment_mode_encodes_the_parameters_in_the_fragment() {
        let answer = answer(
            "https://rp.example/cb",
            ResponseMode::Fragment,
            parameters(),
        );
        let Answer::Redirect(location) = answer else {
            panic!("a redirect")
        };
        assert_eq!(
            location,
            "https://rp.example/cb#code=SplxlOBeZQQYbYS6WxSbIA&state=af0ifjsldkj\
             &iss=https%3A%2F%2Fop.example"
        );
    }

    #[test]
    fn form_post_mode_posts_every_parameter_to_the_redirect_uri() {
        let Answer::FormPost(form) = answer(
            "https://rp.example/cb",
            ResponseMode::FormPost,
            parameters(),
        ) else {
            panic!("a form")
        };
        assert_eq!(form.action, "https://rp.example/cb");
        assert_eq!(form.fields.len(), 3);
        let html = form.html("r4nd0m");
        assert!(html.contains("<form method=\"post\" action=\"https://rp.example/cb\">"));
        assert!(
            html.contains("<input type=\"hidden\" name=\"code\" value=\"SplxlOBeZQQYbYS6WxSbIA\">")
        );
        assert!(html.contains("<script nonce=\"r4nd0m\">document.forms[0].submit();</script>"));
        assert_eq!(html.matches("<script").count(), 1);
    }

    #[test]
    fn form_post_escapes_everything_from_the_request() {
        let form = FormPost {
            action: "https://rp.example/cb?a=1&b=\"><script>".into(),
            fields: vec![
                ("state".into(), "\"><script>alert(1)</script>".into()),
                ("x\"onmouseover=\"y".into(), "it's & <b>\0".into()),
            ],
        };
        let html = form.html("n\"><script>");
        assert_eq!(html.matches("<script").count(), 1, "{html}");
        assert!(
            html.contains("action=\"https://rp.example/cb?a=1&amp;b=&quot;&gt;&lt;script&gt;\"")
        );
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\""));
        assert!(html.contains(
            "name=\"x&quot;onmouseover=&quot;y\" value=\"it&#39;s &amp; &lt;b&gt;\u{FFFD}\""
        ));
        assert!(html.contains("<script nonce=\"n&quot;&gt;&lt;script&gt;\">"));
        assert!(!html.contains('\0'));
    }
}
