//! The edge: the `Host` a request may name, the `Origin` a browser's request may come from,
//! and the security headers on every answer.
//!
//! - `Host`: an IP literal (DNS rebinding needs a host name the attacker controls, so an
//!   address cannot be one), `localhost`, or a name configured with `--host`; any port.
//!   Anything else is refused `untrusted_origin` before routing: a page on another site that
//!   rebinds its own name to this server's address gets nothing.
//! - `Origin`: a browser names the page that makes the request. The websocket upgrade and
//!   every request that changes something while signed in by cookie must come from this
//!   server's own origin (same host and port) or one configured with `--origin`; `null` (a
//!   sandboxed or file page) never does. A websocket upgrade signed in by cookie must carry
//!   an `Origin` at all (browsers always send one); one signed in with a bearer token may
//!   lack it (a device or an integration, which a page cannot impersonate: a page cannot
//!   set `Authorization` on an upgrade).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use floorboard_shared::{ErrorBody, ErrorCode};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::Config;
use crate::error::AppError;
use crate::state::AppState;

/// No inline script (the page boots from `/boot.js`); WebAssembly compiled from our own
/// origin; styles may be inline (the board shades cells with `style`); no framing at all.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; worker-src 'self'; manifest-src 'self'; object-src 'none'; \
    base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Two years, as the HSTS preload list asks; sent only when the server speaks TLS.
const HSTS: &str = "max-age=63072000; includeSubDomains";

fn untrusted(field: &str, message: &str) -> ErrorBody {
    ErrorBody::new(ErrorCode::UntrustedOrigin, message).with_field(field)
}

/// The host a request names, without its port: the URI's authority (HTTP/2), else `Host`.
fn host_of(request_host: &str) -> &str {
    let host = request_host.trim();
    if let Some(rest) = host.strip_prefix('[') {
        // An IPv6 literal: `[::1]:8080`.
        return rest.split(']').next().unwrap_or_default();
    }
    host.rsplit_once(':').filter(|(_, port)| port.bytes().all(|b| b.is_ascii_digit())).map_or(host, |(h, _)| h)
}

/// The `Host` (or authority) a request names, if any.
pub fn request_host<'a>(uri: &'a axum::http::Uri, headers: &'a HeaderMap) -> Option<&'a str> {
    uri.authority().map(|a| a.as_str()).or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()))
}

/// Whether a request may name `host` (with or without a port).
pub fn host_allowed(config: &Config, host: &str) -> bool {
    let name = host_of(host);
    name.parse::<std::net::IpAddr>().is_ok()
        || name.eq_ignore_ascii_case("localhost")
        || config.hosts.iter().any(|h| h.eq_ignore_ascii_case(name))
}

/// Whether a browser request from `origin` may act on this server, reached as `host`.
pub fn origin_allowed(config: &Config, origin: &str, host: Option<&str>) -> bool {
    let origin = origin.trim();
    if config.origins.iter().any(|o| o.trim_end_matches('/').eq_ignore_ascii_case(origin)) {
        return true;
    }
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false; // `null`, or not an origin at all
    };
    matches!(scheme, "http" | "https") && host.is_some_and(|host| authority.eq_ignore_ascii_case(host.trim()))
}

/// The `Origin` check for a request signed in by cookie that changes something (and for
/// every websocket upgrade signed in by cookie, `required`).
pub fn check_origin(config: &Config, headers: &HeaderMap, host: Option<&str>, required: bool) -> Result<(), ErrorBody> {
    match headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("null")) {
        Some(origin) if origin_allowed(config, origin, host) => Ok(()),
        Some(_) => Err(untrusted("Origin", "requests from another site's page are refused")),
        None if required => Err(untrusted("Origin", "a browser's upgrade names its page's origin")),
        None => Ok(()),
    }
}

/// Cross-origin requests (CORS): off (no `Access-Control-*` header, so a browser keeps other
/// sites' pages out) unless origins are configured (`--origin`), whose pages may then call
/// the API with a bearer token. No credentials: the session cookie is SameSite=Strict and is
/// never sent from another site's page anyway.
pub fn cors(config: &Config) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> =
        config.origins.iter().filter_map(|o| HeaderValue::from_str(o.trim().trim_end_matches('/')).ok()).collect();
    (!origins.is_empty()).then(|| {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .max_age(std::time::Duration::from_secs(600))
    })
}

/// A change made with the session cookie must come from this server's own pages (a
/// cross-site form or script rides on the cookie; it cannot set a bearer token).
pub fn check_cookie_change(
    config: &Config,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
) -> Result<(), ErrorBody> {
    if crate::auth::credentials::is_cookie(headers) && is_unsafe(method) {
        check_origin(config, headers, request_host(uri, headers), false)?;
    }
    Ok(())
}

/// Refuses a request naming a host this server does not answer to, and puts the security
/// headers on every answer.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let host = request_host(request.uri(), request.headers());
    if !host.is_some_and(|h| host_allowed(&state.config, h)) {
        return AppError(untrusted("Host", "this server does not answer to that host name")).into_response();
    }
    let is_api = request.uri().path().starts_with("/api/") || request.uri().path() == "/metrics";
    let mut response = next.run(request).await;
    secure_headers(response.headers_mut(), is_api, state.config.over_tls());
    response
}

/// The security headers of every answer; `Cache-Control: no-store` on the API's.
pub fn secure_headers(headers: &mut HeaderMap, is_api: bool, tls: bool) {
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if is_api {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if tls {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
}

/// The client's address: the peer's, or behind a proxy (`--behind-tls-proxy`) the last
/// `X-Forwarded-For` entry, the one the proxy itself added (earlier ones are the client's to
/// forge).
pub fn client_address(
    config: &Config,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
) -> Option<std::net::IpAddr> {
    if !config.behind_proxy {
        return peer;
    }
    let last = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).next_back()?;
    last.rsplit(',').next()?.trim().parse().ok()
}

/// Whether a method changes something (the ones a cross-site page could send).
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(hosts: &[&str], origins: &[&str]) -> Config {
        let mut config = Config::new("/tmp/unused", floorboard_shared::GoLive::example());
        config.hosts = hosts.iter().map(|h| (*h).to_owned()).collect();
        config.origins = origins.iter().map(|o| (*o).to_owned()).collect();
        config
    }

    #[test]
    fn addresses_localhost_and_configured_names_are_answered_other_names_not() {
        let c = config(&["floorboard.example.org"], &[]);
        for ok in
            ["127.0.0.1:8080", "10.2.3.4", "[::1]:8080", "localhost:8080", "LOCALHOST", "floorboard.example.org:443"]
        {
            assert!(host_allowed(&c, ok), "{ok}");
        }
        for bad in ["evil.example", "evil.example:8080", "floorboard.example.org.evil.example", "", "127.0.0.1.nip.io"]
        {
            assert!(!host_allowed(&c, bad), "{bad}");
        }
    }

    #[test]
    fn the_same_origin_or_a_configured_one_never_null() {
        let c = config(&[], &["https://wall.example.org"]);
        assert!(origin_allowed(&c, "http://127.0.0.1:8080", Some("127.0.0.1:8080")));
        assert!(origin_allowed(&c, "https://wall.example.org", Some("127.0.0.1:8080")));
        assert!(!origin_allowed(&c, "http://127.0.0.1:8081", Some("127.0.0.1:8080")), "another port");
        assert!(!origin_allowed(&c, "https://evil.example", Some("127.0.0.1:8080")));
        assert!(!origin_allowed(&c, "null", Some("127.0.0.1:8080")));
        assert!(!origin_allowed(&c, "http://127.0.0.1:8080", None));
    }
}
