//! A websocket text frame, as a client may send any: decoded as the server decodes it, then,
//! for a submit, validated against the built-in go-live. Checks what `floorboard_fuzz`
//! checks: errors name known fields and never repeat the client's text; accepted reports
//! are clean, routable and stable.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // A text frame is UTF-8 already: tungstenite refuses any other before the server sees it.
    if let Ok(text) = std::str::from_utf8(data) {
        floorboard_fuzz::check_client_frame(text);
    }
});
