//! Manual invocations: typed by hand, so unknown fields are refused and every value is checked.

use serde::{Deserialize, de};
use serde_json::Value;

use super::json::{parse_account_ids, parse_string_list};
use super::trigger::{Request, Trigger};
use crate::domain::{CreateAccountRequestId, Region};
use crate::error::Error;
use crate::quote::excerpt;

/// At most this many accounts may be named to try the accept role in, in one check.
const MAX_ACCOUNTS_TO_TRY: usize = 10;

/// A manual invocation, typed by hand: unknown fields are refused, so a typo cannot go unnoticed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct ManualInvocation {
    action: Option<String>,
    account_ids: Option<Vec<Value>>,
    create_account_request_ids: Option<Vec<Value>>,
    regions: Option<Vec<Value>>,
    dry_run: Option<bool>,
}

/// The fields a manual invocation takes, as serde derives them from [`ManualInvocation`]: asked of
/// the struct itself, so that the list cannot drift from it.
pub(super) fn manual_keys() -> &'static [&'static str] {
    let mut fields: &'static [&'static str] = &[];
    // The deserializer only records the fields it is told and refuses the rest: the error is expected.
    let _ = ManualInvocation::deserialize(FieldNames(&mut fields));
    fields
}

/// A deserializer that reads no value: it records the fields a struct's `Deserialize` names.
struct FieldNames<'a>(&'a mut &'static [&'static str]);

impl<'de> de::Deserializer<'de> for FieldNames<'_> {
    type Error = de::value::Error;

    fn deserialize_any<V: de::Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: de::Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Self::Error> {
        *self.0 = fields;
        Err(de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier ignored_any
    }
}

/// The first field of `fields` that a manual invocation does not take, with the accepted field
/// closest to it when one is near enough to be a typo; `None` when every field is accepted.
pub(super) fn unknown_field<'f>(
    fields: impl IntoIterator<Item = &'f String>,
) -> Option<(&'f str, Option<&'static str>)> {
    let unknown = fields
        .into_iter()
        .find(|field| !manual_keys().contains(&field.as_str()))?;
    let closest = manual_keys()
        .iter()
        .map(|key| (strsim::levenshtein(unknown, key), *key))
        .min()
        .filter(|(distance, key)| *distance <= 2.max(key.len() / 4))
        .map(|(_, key)| key);
    Some((unknown, closest))
}

/// The error for an unknown field, naming the closest accepted one.
pub(super) fn unknown_field_error(field: &str, closest: Option<&str>) -> Error {
    let field = excerpt(field);
    manual_error(&match closest {
        Some(closest) => format!("unknown field `{field}`; did you mean `{closest}`?"),
        None => format!(
            "unknown field `{field}`; a manual invocation takes {}",
            manual_keys()
                .iter()
                .map(|key| format!("`{key}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    })
}

/// The manual invocation's trigger; with `"dryRun": true`, under a dry run.
pub(super) fn manual_invocation(manual: ManualInvocation) -> Result<Trigger, Error> {
    match manual.dry_run {
        Some(true) if manual.action.as_deref() == Some("check") => Err(manual_error(
            "a check changes nothing already: leave dryRun out",
        )),
        Some(true) => Ok(Trigger::DryRun(Box::new(decode_request(manual)?))),
        _ => decode_request(manual),
    }
}

fn decode_request(manual: ManualInvocation) -> Result<Trigger, Error> {
    let regions = manual.regions.map(parse_chosen_regions).transpose()?;
    let named = manual.account_ids.is_some() || manual.create_account_request_ids.is_some();
    match manual.action.as_deref() {
        Some("reconcile") if named => Err(manual_error(
            "a reconcile covers the whole organization: leave accountIds and createAccountRequestIds out",
        )),
        Some("reconcile") => Ok(Trigger::Reconcile { regions }),
        Some("adopt") if named => Err(manual_error(
            "an adoption covers every member of the organization's ACTIVE accounts: leave accountIds and createAccountRequestIds out",
        )),
        Some("adopt") => Ok(Trigger::Adopt { regions }),
        Some("remove") => decode_removal(
            manual.account_ids,
            manual.create_account_request_ids,
            regions,
        ),
        Some("check") => decode_check(
            manual.account_ids,
            manual.create_account_request_ids,
            regions,
        ),
        None | Some("invite") => {
            let request = Request {
                account_ids: parse_account_ids(
                    &manual.account_ids.unwrap_or_default(),
                    "accountIds",
                )?,
                create_account_request_ids: parse_request_ids(
                    &manual.create_account_request_ids.unwrap_or_default(),
                )?,
                regions,
                by_operator: true,
            };
            if request.account_ids.is_empty() && request.create_account_request_ids.is_empty() {
                return Err(manual_error(
                    "no account named: give accountIds or createAccountRequestIds, or {\"action\": \"reconcile\"}",
                ));
            }
            Ok(Trigger::Invite(request))
        }
        Some(other) => Err(manual_error(&format!(
            "action {:?} is not one of \"invite\" (the default), \"reconcile\", \"remove\", \"adopt\" and \"check\"",
            excerpt(other)
        ))),
    }
}

/// The regions a manual invocation chooses among MACIE_REGIONS: at least one, each a region name.
fn parse_chosen_regions(regions: Vec<Value>) -> Result<Vec<Region>, Error> {
    if regions.is_empty() {
        return Err(manual_error(
            "regions is empty; leave it out to use MACIE_REGIONS",
        ));
    }
    parse_string_list(&regions, "regions", Region::parse, |value, field| {
        Error::InvalidRegion { value, field }
    })
}

/// The removal of departed accounts' members: `accountIds` names them; the organization must
/// confirm that each departed, and only the members that the function enrolled are removed.
fn decode_removal(
    named: Option<Vec<Value>>,
    request_ids: Option<Vec<Value>>,
    regions: Option<Vec<Region>>,
) -> Result<Trigger, Error> {
    if request_ids.is_some() {
        return Err(manual_error(
            "a removal names departed accounts: give accountIds, leave createAccountRequestIds out",
        ));
    }
    let account_ids = parse_account_ids(&named.unwrap_or_default(), "accountIds")?;
    if account_ids.is_empty() {
        return Err(manual_error(
            "no account named: a removal takes accountIds, the departed accounts (the reconcile removes every departed member it finds)",
        ));
    }
    Ok(Trigger::RemoveDeparted(Request {
        account_ids,
        create_account_request_ids: Vec::new(),
        regions,
        by_operator: true,
    }))
}

/// The preflight: it covers every region of MACIE_REGIONS, and `accountIds` names at most a few
/// accounts to try the accept role in.
fn decode_check(
    named: Option<Vec<Value>>,
    request_ids: Option<Vec<Value>>,
    regions: Option<Vec<Region>>,
) -> Result<Trigger, Error> {
    if request_ids.is_some() || regions.is_some() {
        return Err(manual_error(
            "a check covers every region of MACIE_REGIONS: leave createAccountRequestIds and regions out (accountIds names accounts to try the accept role in)",
        ));
    }
    let mut accounts = parse_account_ids(&named.unwrap_or_default(), "accountIds")?;
    accounts.sort();
    accounts.dedup();
    if accounts.len() > MAX_ACCOUNTS_TO_TRY {
        return Err(manual_error(&format!(
            "a check tries the accept role in at most {MAX_ACCOUNTS_TO_TRY} accounts; {} were named",
            accounts.len()
        )));
    }
    Ok(Trigger::Check { accounts })
}

fn parse_request_ids(values: &[Value]) -> Result<Vec<CreateAccountRequestId>, Error> {
    parse_string_list(
        values,
        "createAccountRequestIds",
        CreateAccountRequestId::parse,
        |value, field| Error::InvalidRequestId { value, field },
    )
}

fn manual_error(problem: &str) -> Error {
    Error::malformed("manual invocation", problem.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_accepted_keys_are_the_structs_fields_as_serde_names_them() {
        assert_eq!(
            manual_keys(),
            [
                "action",
                "accountIds",
                "createAccountRequestIds",
                "regions",
                "dryRun"
            ]
        );
    }
}
