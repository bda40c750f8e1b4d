//! Decoding a client's frame into a `ClientMsg`, with the documented error for every fault:
//! an unknown `type` told apart from a bad body, the bare name of the field at fault, and a
//! refused submission pinned to its report id.

use floorboard_shared::heatmap::BoardDigest;
use floorboard_shared::protocol::{ClientMsg, Topic};
use floorboard_shared::{ErrorBody, ErrorCode};

use crate::error::decode_json;

/// The error of `value[key]` decoded alone as a `T`, with its field named from the message's
/// top; `None` when the key is absent or decodes.
fn nested_fault<T: serde::de::DeserializeOwned>(value: &serde_json::Value, key: &str) -> Option<ErrorBody> {
    let inner = decode_json::<T>(value.get(key)?.to_string().as_bytes()).err()?;
    if inner.field.is_some() {
        return Some(inner);
    }
    Some(ErrorBody::new(inner.code, format!("field `{key}`: {}", inner.message)).with_field(key))
}

/// A `submit` read straight into its fields. Nearly every client message is one, and an
/// internally tagged enum is decoded by first buffering the whole message to find its tag.
/// The tag is read as a plain string (a unit enum would also take `{"submit": null}`, which
/// `ClientMsg` refuses); one with escapes is not borrowed and goes the general way.
#[derive(serde::Deserialize)]
struct SubmitFrame<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
    report: floorboard_shared::ReportDraft,
}

/// Decodes a client frame, telling an unknown `type` apart from a bad body, and pinning a
/// refused submission's error to its report id when the id can be read.
pub fn decode_client_msg(text: &str) -> Result<ClientMsg, ErrorBody> {
    // The fast path accepts only what `ClientMsg` accepts; anything else (other messages,
    // and every fault, for its exact error) goes the general way. From `&str`: a text frame
    // is UTF-8 already (tungstenite checked), and serde_json then skips checking each string.
    if let Ok(SubmitFrame { kind: "submit", report }) = serde_json::from_str::<SubmitFrame>(text) {
        return Ok(ClientMsg::Submit { report });
    }
    let bytes = text.as_bytes();
    decode_json::<ClientMsg>(bytes).map_err(|body| {
        if body.code == ErrorCode::MalformedJson {
            return body;
        }
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
            return body;
        };
        match value.get("type").and_then(|t| t.as_str()) {
            Some(kind) if ClientMsg::TYPES.contains(&kind) => {
                // Tagged enums lose the path of a nested fault: decode the parts alone to find it.
                let fault = match kind {
                    "submit" => nested_fault::<floorboard_shared::ReportDraft>(&value, "report"),
                    "subscribe" | "unsubscribe" => nested_fault::<Topic>(&value, "topic")
                        .or_else(|| nested_fault::<u64>(&value, "resume_from"))
                        .or_else(|| nested_fault::<BoardDigest>(&value, "digest")),
                    _ => None,
                };
                let body = fault.unwrap_or(body);
                let id = value.pointer("/report/id").and_then(|id| serde_json::from_value(id.clone()).ok());
                match id {
                    Some(id) => body.with_id(id),
                    None => body,
                }
            }
            Some(_) => ErrorBody::new(
                ErrorCode::UnknownMessageType,
                format!("unknown message type; expected one of {}", ClientMsg::TYPES.join(", ")),
            )
            .with_field("type"),
            None => {
                ErrorBody::new(ErrorCode::UnknownMessageType, "every message is a JSON object with a string `type`")
                    .with_field("type")
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft_json() -> serde_json::Value {
        serde_json::json!({
            "id": "9a1c7f02-55e3-4b8d-a0f4-6c2e91d3b845",
            "facility": "rmc", "unit": "rmc-4w", "module": "clindoc", "kind": "access",
            "severity": "high", "summary": "Cannot sign orders", "affected_users": 2,
            "resolved_at_elbow": false, "reporter": "trainer-07",
            "reported_at": "2026-11-22T08:44:03Z"
        })
    }

    #[test]
    fn a_submit_decodes_as_the_enum_does_in_any_field_order() {
        let report = draft_json();
        for text in [
            serde_json::json!({"type": "submit", "report": report}).to_string(),
            format!(r#"{{"report": {report}, "type": "submit"}}"#),
        ] {
            let expected: ClientMsg = serde_json::from_str(&text).unwrap();
            assert_eq!(decode_client_msg(&text).unwrap(), expected);
        }
    }

    #[test]
    fn the_fast_path_takes_no_tag_the_protocol_refuses() {
        // Found by the fuzzer (fuzz/artifacts/client_message/crash-fast-path-accepts-type-as-object).
        let text = format!(r#"{{"type": {{"submit": null}}, "report": {}}}"#, draft_json());
        assert!(serde_json::from_str::<ClientMsg>(&text).is_err());
        assert!(decode_client_msg(&text).is_err());
    }

    #[test]
    fn other_messages_and_faults_take_the_general_way() {
        let subscribe = r#"{"type": "subscribe", "topic": {"name": "board"}}"#;
        assert!(matches!(decode_client_msg(subscribe).unwrap(), ClientMsg::Subscribe { .. }));
        let mut report = draft_json();
        report["kind"] = "sideways".into();
        let text = serde_json::json!({"type": "submit", "report": report}).to_string();
        let err = decode_client_msg(&text).unwrap_err();
        assert_eq!((err.code, err.field.as_deref()), (ErrorCode::InvalidValue, Some("kind")), "the bare field name");
        assert!(err.id.is_some(), "the refused report is named");
    }
}
