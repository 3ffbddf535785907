//! Reading the decoders' JSON: typed fields at a path, account IDs that must be strings, and errors
//! that quote the input cut short.

use serde_json::Value;

use crate::domain::AccountId;
use crate::error::Error;
use crate::quote::{clip, excerpt};

/// The `errorCode` of a CloudTrail API call record, when the call failed: free text from the
/// event, cut short and without email addresses.
pub(super) fn read_call_error(detail: &Value) -> Option<String> {
    detail
        .get("errorCode")
        .and_then(Value::as_str)
        .map(crate::quote::free_text)
}

/// The object at `path` (`detail.a.b`), typed.
pub(super) fn read_field<T: serde::de::DeserializeOwned>(
    detail: &Value,
    path: &str,
    event: &'static str,
) -> Result<T, Error> {
    let pointer = path.trim_start_matches("detail").replace('.', "/");
    let value = detail
        .pointer(&pointer)
        .ok_or_else(|| Error::malformed(event, format!("{path} is missing")))?;
    T::deserialize(value)
        .map_err(|error| Error::malformed(event, clip(&format!("{path}: {error}"))))
}

pub(super) fn parse_account_id_value(value: &Value, field: &str) -> Result<AccountId, Error> {
    match value {
        Value::String(id) => AccountId::parse(id, field),
        // A number loses an ID's leading zeros, so only strings are accepted.
        other => Err(Error::AccountIdNotAString {
            value: excerpt(&other.to_string()),
            field: field.to_owned(),
            kind: name_json_kind(other),
        }),
    }
}

pub(super) fn parse_account_ids(values: &[Value], field: &str) -> Result<Vec<AccountId>, Error> {
    values
        .iter()
        .enumerate()
        .map(|(index, value)| parse_account_id_value(value, &format!("{field}[{index}]")))
        .collect()
}

/// Each string of `values` (`field[index]`) parsed; a value that is not a string is refused with
/// `not_a_string(value, field)`.
pub(super) fn parse_string_list<T>(
    values: &[Value],
    field: &str,
    parse: impl Fn(&str, &str) -> Result<T, Error>,
    not_a_string: impl Fn(String, String) -> Error,
) -> Result<Vec<T>, Error> {
    values
        .iter()
        .enumerate()
        .map(|(index, value)| {
            let field = format!("{field}[{index}]");
            match value {
                Value::String(text) => parse(text, &field),
                other => Err(not_a_string(excerpt(&other.to_string()), field)),
            }
        })
        .collect()
}

pub(super) fn report_malformed(event: &'static str, error: serde_json::Error) -> Error {
    // serde quotes the offending value whole: clip it.
    Error::malformed(event, clip(&error.to_string()))
}

pub(super) fn name_json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}
