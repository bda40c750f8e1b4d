//! The websocket handshake (RFC 6455) at `GET /ws`, done here rather than by axum's
//! extractor because the board fan-out writes to the TCP socket itself (see `wire`); and a
//! board subscribed with the upgrade request.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use floorboard_shared::heatmap::BoardDigest;
use floorboard_shared::protocol::{ClientMsg, Topic};
use floorboard_shared::{ErrorBody, ErrorCode, FacilityId};
use hyper_util::rt::TokioIo;
use rustls::ServerConnection;
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_util::either::Either;

use std::sync::Arc;

use super::{Connection, HARD_FRAME_LIMIT};
use crate::auth::{Session, credentials};
use crate::error::AppError;
use crate::http::edge;
use crate::listener::Conn;
use crate::state::AppState;
use crate::wire::{Wire, WireIo};

/// `GET /ws`: checks the upgrade request, answers 101 and serves the connection.
pub async fn upgrade(State(state): State<AppState>, mut request: Request) -> Response {
    let accept = match accept_key(request.headers()) {
        Ok(accept) => accept,
        Err(Refused::NotAnUpgrade(body)) => {
            let headers = [(header::UPGRADE, HeaderValue::from_static("websocket"))];
            return (StatusCode::UPGRADE_REQUIRED, headers, axum::Json(body)).into_response();
        }
        Err(Refused::BadKey(body)) => return (StatusCode::BAD_REQUEST, axum::Json(body)).into_response(),
    };
    let session = match signed_in(&state, request.uri(), request.headers()).await {
        Ok(session) => session,
        Err(body) => return AppError::from(body).into_response(),
    };
    let peer = request.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let source = edge::client_address(&state.config, request.headers(), peer);
    let on_connect = match board_on_connect(request.uri().query()) {
        Ok(msg) => msg,
        Err(body) => return AppError::from(body).into_response(),
    };
    let Ok(permit) = state.connection_slots.clone().try_acquire_owned() else {
        return AppError::new(ErrorCode::Unavailable, "the server is at its connection limit; retry shortly")
            .into_response();
    };
    let on_upgrade = hyper::upgrade::on(&mut request);
    let tasks = state.connection_tasks.clone();
    tasks.spawn(async move {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(e) => return tracing::debug!(error = %e, "websocket upgrade failed"),
        };
        let Some((stream, tls, prefix)) = socket_of(upgraded) else {
            return tracing::error!("websocket upgrade on a connection that is not a TCP socket");
        };
        let wire = Wire::new(stream, tls);
        let config = WebSocketConfig::default()
            .read_buffer_size(512)
            .write_buffer_size(0)
            .max_write_buffer_size(crate::wire::QUEUE_LIMIT)
            .max_message_size(Some(HARD_FRAME_LIMIT))
            .max_frame_size(Some(HARD_FRAME_LIMIT));
        let socket =
            WebSocketStream::from_partially_read(WireIo::new(wire.clone()), prefix, Role::Server, Some(config)).await;
        Connection::new(state, session, source, wire, socket, permit).run(on_connect).await
    });
    let mut response = StatusCode::SWITCHING_PROTOCOLS.into_response();
    let headers = response.headers_mut();
    headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
    response
}

/// The session an upgrade is signed in with, refused before the upgrade (so a page on
/// another site never gets a socket): a host this server does not answer to, a browser's
/// page from another origin (or `null`, or none with a cookie), no valid session.
async fn signed_in(state: &AppState, uri: &axum::http::Uri, headers: &HeaderMap) -> Result<Arc<Session>, ErrorBody> {
    let host = edge::request_host(uri, headers);
    if !host.is_some_and(|h| edge::host_allowed(&state.config, h)) {
        return Err(ErrorBody::new(ErrorCode::UntrustedOrigin, "this server does not answer to that host name")
            .with_field("Host"));
    }
    edge::check_origin(&state.config, headers, host, credentials::is_cookie(headers))?;
    let Some(token) = credentials::token_of(headers) else {
        metrics::counter!(crate::telemetry::ACCESS_REFUSED, "code" => "unauthenticated").increment(1);
        return Err(ErrorBody::new(ErrorCode::Unauthenticated, "sign in first: no session cookie or bearer token"));
    };
    state.auth.authenticate(token).await
}

/// The upgraded connection's TCP socket, its TLS session if any, and the bytes hyper read
/// past the handshake. The bytes are copied out: hyper's read buffer they share would
/// otherwise stay allocated for the life of the connection (8 KiB per idle board).
fn socket_of(upgraded: hyper::upgrade::Upgraded) -> Option<(TcpStream, Option<ServerConnection>, Vec<u8>)> {
    let parts = hyper_util::server::conn::auto::upgrade::downcast::<TokioIo<Conn>>(upgraded).ok()?;
    let (stream, tls) = match parts.io.into_inner() {
        Either::Left(tcp) => (tcp, None),
        Either::Right(tls) => {
            let (tcp, session) = tls.into_inner();
            (tcp, Some(session))
        }
    };
    Some((stream, tls, parts.read_buf.to_vec()))
}

/// A board subscription made with the upgrade request: `/ws?board` (every facility) or
/// `/ws?board=rmc`, with `digest` and `resume_from` as in `subscribe`, answered right after
/// the `welcome`. A display that follows one board then resumes with the handshake and one
/// answer. Other query parameters are ignored (cache-busters); a bad value refuses the
/// upgrade with `invalid_value` naming it.
fn board_on_connect(query: Option<&str>) -> Result<Option<Box<ClientMsg>>, ErrorBody> {
    let (mut board, mut digest, mut resume_from) = (None, None, None);
    let invalid = |field: &str, what: &str| {
        ErrorBody::new(ErrorCode::InvalidValue, format!("query parameter `{field}`: {what}")).with_field(field)
    };
    for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*key {
            "board" => board = Some((!value.is_empty()).then(|| FacilityId::new(value.into_owned()))),
            "digest" => {
                let parsed = BoardDigest::try_from(value.into_owned()).map_err(|what| invalid("digest", what))?;
                digest = Some(parsed);
            }
            "resume_from" => {
                let parsed = value.parse::<u64>().map_err(|_| invalid("resume_from", "expected an integer >= 0"))?;
                resume_from = Some(parsed);
            }
            _ => {}
        }
    }
    match board {
        Some(facility) => {
            Ok(Some(Box::new(ClientMsg::Subscribe { topic: Topic::Board { facility }, resume_from, digest })))
        }
        None if digest.is_none() && resume_from.is_none() => Ok(None),
        None => Err(invalid("board", "`digest` and `resume_from` resume a board named by `board`")),
    }
}

/// Why an upgrade request is refused.
enum Refused {
    /// Not a websocket upgrade at all: 426, saying which upgrade to ask for.
    NotAnUpgrade(ErrorBody),
    /// An upgrade with a key that breaks RFC 6455: 400.
    BadKey(ErrorBody),
}

/// Whether `key` is a `Sec-WebSocket-Key` as RFC 6455 has it: 16 bytes in base64, which is 22
/// characters, the last of them carrying only two bits (`A`, `Q`, `g` or `w`), then `==`.
fn is_handshake_key(key: &[u8]) -> bool {
    let base64 = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/');
    match key {
        [body @ .., last, b'=', b'='] if body.len() == 21 => {
            body.iter().all(base64) && matches!(last, b'A' | b'Q' | b'g' | b'w')
        }
        _ => false,
    }
}

/// Checks a websocket upgrade request and derives its `Sec-WebSocket-Accept`.
fn accept_key(headers: &HeaderMap) -> Result<HeaderValue, Refused> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    let refuse = |field: &str, what: &str| {
        Refused::NotAnUpgrade(
            ErrorBody::new(ErrorCode::InvalidValue, format!("not a websocket upgrade: {what}")).with_field(field),
        )
    };
    if !has_token(header::CONNECTION, "upgrade") {
        return Err(refuse("Connection", "expected `Connection: upgrade`"));
    }
    if !has_token(header::UPGRADE, "websocket") {
        return Err(refuse("Upgrade", "expected `Upgrade: websocket`"));
    }
    if headers.get(header::SEC_WEBSOCKET_VERSION).is_none_or(|v| v != "13") {
        return Err(refuse("Sec-WebSocket-Version", "expected `Sec-WebSocket-Version: 13`"));
    }
    let Some(key) = headers.get(header::SEC_WEBSOCKET_KEY) else {
        return Err(refuse("Sec-WebSocket-Key", "expected a `Sec-WebSocket-Key`"));
    };
    let bad_key = || {
        Refused::BadKey(
            ErrorBody::new(ErrorCode::InvalidValue, "`Sec-WebSocket-Key` must be 16 bytes in base64")
                .with_field("Sec-WebSocket-Key"),
        )
    };
    if !is_handshake_key(key.as_bytes()) {
        return Err(bad_key());
    }
    HeaderValue::from_str(&derive_accept_key(key.as_bytes())).map_err(|_| bad_key())
}

#[cfg(test)]
mod tests {
    use super::is_handshake_key;

    #[test]
    fn a_handshake_key_is_sixteen_bytes_in_base64() {
        assert!(is_handshake_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "RFC 6455's example");
        for bad in [
            &b""[..],
            b"x",
            b"dGhlIHNhbXBsZSBub25jZQ",
            b"dGhlIHNhbXBsZSBub25jZR==",
            b"dGhlIHNhbXBsZSBub25j\0Q==",
            b"dGhlIHNhbXBsZSBub25jZQ===",
        ] {
            assert!(!is_handshake_key(bad), "{bad:?}");
        }
    }
}
