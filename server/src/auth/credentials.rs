//! Where a request carries its session: `Authorization: Bearer TOKEN` (devices,
//! integrations, `floorboard simulate`, the benchmark) or the session cookie (browsers), on
//! every request and on the websocket upgrade alike; and the cookie the server sets.

use axum::http::{HeaderMap, HeaderValue, header};

/// The session cookie's name.
pub const COOKIE: &str = "floorboard_session";

/// The token a request carries: the bearer token if there is one, else the session cookie.
pub fn token_of(headers: &HeaderMap) -> Option<&str> {
    if let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let (scheme, token) = value.trim().split_once(' ')?;
        return (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim());
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value)
}

/// Whether the request's session comes from its cookie (no bearer token).
pub fn is_cookie(headers: &HeaderMap) -> bool {
    headers.get(header::AUTHORIZATION).is_none() && headers.get(header::COOKIE).is_some()
}

/// `Set-Cookie` for a new session: HttpOnly (no script reads it), SameSite=Strict (no other
/// site's page sends it), Secure when the server speaks TLS, for the session's lifetime.
pub fn session_cookie(token: &str, max_age_secs: u64, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"
    ))
    .ok()
}

/// `Set-Cookie` that removes the session cookie (sign-out).
pub fn cleared_cookie(secure: bool) -> HeaderValue {
    if secure {
        HeaderValue::from_static("floorboard_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Secure")
    } else {
        HeaderValue::from_static("floorboard_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(header::HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn a_bearer_token_or_the_session_cookie() {
        assert_eq!(token_of(&headers(&[("authorization", "Bearer abc")])), Some("abc"));
        assert_eq!(token_of(&headers(&[("authorization", "bearer  abc ")])), Some("abc"));
        assert_eq!(token_of(&headers(&[("cookie", "a=1; floorboard_session=xyz; b=2")])), Some("xyz"));
        assert_eq!(token_of(&headers(&[("cookie", "a=1"), ("cookie", "floorboard_session=xyz")])), Some("xyz"));
        // A bearer header that is not a bearer token is not overridden by a cookie.
        assert_eq!(token_of(&headers(&[("authorization", "Basic abc"), ("cookie", "floorboard_session=x")])), None);
        assert_eq!(token_of(&headers(&[("authorization", "Bearer ")])), None);
        assert_eq!(token_of(&headers(&[("cookie", "floorboard_session=")])), None);
        assert_eq!(token_of(&headers(&[])), None);
    }

    #[test]
    fn the_cookie_is_http_only_same_site_strict_and_secure_under_tls() {
        let plain = session_cookie("t", 60, false).unwrap();
        assert_eq!(plain, "floorboard_session=t; Path=/; HttpOnly; SameSite=Strict; Max-Age=60");
        assert!(session_cookie("t", 60, true).unwrap().to_str().unwrap().ends_with("; Secure"));
    }
}
