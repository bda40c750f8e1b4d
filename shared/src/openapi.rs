//! The API document's schemas for what a derive cannot say: the slug and text rules of
//! `ids` and `text`, with their lengths, so the document refuses what the server refuses.

use utoipa::openapi::Schema;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type};

use crate::ids::MAX_ID_LEN;
use crate::report::{DETAILS_MAX, NOTE_MAX, ROLE_MAX, SUMMARY_MAX};
use crate::text::{self, Lines};

/// A catalog id's pattern: what `ids::is_slug` accepts.
pub const SLUG_PATTERN: &str = "^[a-z0-9._-]{1,64}$";

/// A catalog id: 1 to 64 of `a-z`, `0-9`, `-`, `_`, `.`.
pub fn slug(description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .min_length(Some(1))
        .max_length(Some(MAX_ID_LEN))
        .pattern(Some(SLUG_PATTERN))
        .into()
}

/// Free text as `text::clean` takes it: trimmed, then at most `max` characters (at least one
/// when `required`) with no control or format characters.
fn text(lines: Lines, max: usize, required: bool, description: &str) -> Schema {
    let rule = match lines {
        Lines::One => "one line",
        Lines::Many => "line breaks and tabs allowed",
    };
    let count = if required { format!("1 to {max}") } else { format!("up to {max}") };
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(format!(
            "{description} {count} characters once trimmed and in Unicode NFC ({rule}; no control or \
             invisible formatting characters)."
        )))
        .min_length(required.then_some(1))
        .pattern(Some(text::pattern(lines, max, required)))
        .into()
}

/// A text field that may be absent or `null`.
fn optional(schema: Schema) -> Schema {
    match schema {
        Schema::Object(mut object) => {
            object.schema_type = SchemaType::from_iter([Type::String, Type::Null]);
            Schema::Object(object)
        }
        other => other,
    }
}

pub fn reporter() -> Schema {
    text(Lines::One, MAX_ID_LEN, true, "The trainer's login or badge name:")
}

pub fn summary() -> Schema {
    text(Lines::One, SUMMARY_MAX, true, "One sentence about the system, never about a patient:")
}

pub fn details() -> Schema {
    optional(text(Lines::Many, DETAILS_MAX, false, "A longer description, if any:"))
}

pub fn affected_role() -> Schema {
    optional(text(Lines::One, ROLE_MAX, false, "The affected users' role, e.g. \"RN\" or \"charge nurse\":"))
}

pub fn note() -> Schema {
    optional(text(Lines::Many, NOTE_MAX, false, "What was done; required when resolving or closing:"))
}

/// `reported_at`: an RFC 3339 date-time in the years `REPORTED_AT_MIN..REPORTED_AT_END`.
pub fn reported_at() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        // The years as written; an offset can still carry the first or last hours across.
        .pattern(Some("^20[0-9]{2}-"))
        .description(Some(
            "When the trainer made the report, by the device's clock: RFC 3339, from 2000 to 2099 (UTC).",
        ))
        .into()
}
