//! EventBridge events: Organizations' and Control Tower's records of new and departed accounts,
//! scheduled events (a reconcile), and custom events from account factories.

use aws_lambda_events::eventbridge::EventBridgeEvent;
use serde::Deserialize;
use serde_json::Value;

use super::json::{
    name_json_kind, parse_account_id_value, parse_account_ids, read_call_error, read_field,
};
use super::trigger::{Ignored, RecentJoins, Request, Trigger};
use crate::domain::{AccountId, CreateAccountRequestId};
use crate::error::Error;
use crate::outcome::CreationFailure;
use crate::quote::{excerpt, free_text};

pub(super) const SERVICE_EVENT: &str = "AWS Service Event via CloudTrail";
pub(super) const API_CALL: &str = "AWS API Call via CloudTrail";

/// `createAccountStatus` of Organizations events and of DescribeCreateAccountStatus.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateAccountStatus {
    id: Option<String>,
    state: Option<String>,
    account_id: Option<String>,
    failure_reason: Option<String>,
}

pub(super) fn decode_eventbridge(event: EventBridgeEvent<Value>) -> Result<Trigger, Error> {
    let detail = &event.detail;
    let event_name = detail.get("eventName").and_then(Value::as_str);
    match (
        event.source.as_str(),
        event.detail_type.as_str(),
        event_name,
    ) {
        ("aws.organizations", SERVICE_EVENT, Some("CreateAccountResult")) => {
            decode_create_account_result(detail)
        }
        ("aws.organizations", API_CALL, Some("CreateAccount")) => {
            decode_create_account_call("CreateAccount", detail)
        }
        ("aws.organizations", API_CALL, Some("CreateGovCloudAccount")) => {
            decode_create_account_call("CreateGovCloudAccount", detail)
        }
        // Membership events: service events, as CreateAccountResult is; an API call's detail-type
        // is taken too, since no sample from AWS shows which (Organizations API reference,
        // AcceptHandshake: the event is only said to be "logged").
        ("aws.organizations", SERVICE_EVENT | API_CALL, Some("AccountJoinedOrganization")) => {
            decode_account_joined(&event)
        }
        ("aws.organizations", SERVICE_EVENT | API_CALL, Some("AccountDepartedOrganization")) => {
            decode_account_departed(&event)
        }
        ("aws.organizations", SERVICE_EVENT, Some("CloseAccountResult")) => {
            decode_close_account_result(&event)
        }
        ("aws.organizations", API_CALL, Some("CloseAccount")) => {
            decode_departure_call("CloseAccount", detail)
        }
        ("aws.organizations", API_CALL, Some("RemoveAccountFromOrganization")) => {
            decode_departure_call("RemoveAccountFromOrganization", detail)
        }
        ("aws.controltower", SERVICE_EVENT, Some("CreateManagedAccount")) => {
            decode_managed_account("CreateManagedAccount", detail)
        }
        ("aws.controltower", SERVICE_EVENT, Some("UpdateManagedAccount")) => {
            decode_managed_account("UpdateManagedAccount", detail)
        }
        ("aws.controltower", SERVICE_EVENT, Some(name)) => Ok(Trigger::not_an_addition(
            name,
            "a Control Tower lifecycle event that adds no account",
        )),
        ("aws.events", "Scheduled Event", _) => Ok(Trigger::Reconcile { regions: None }),
        (source, _, _) if !source.starts_with("aws.") && has_custom_fields(detail) => {
            decode_custom_event(detail)
        }
        (source, detail_type, event_name) => Err(Error::UnsupportedEvent {
            received: format!(
                "an EventBridge event with source {:?}, detail-type {:?} and eventName {}",
                excerpt(source),
                excerpt(detail_type),
                event_name.map_or("(none)".to_owned(), |name| format!("{:?}", excerpt(name))),
            ),
        }),
    }
}

/// Organizations' `CreateAccountResult`: the outcome of an account creation.
fn decode_create_account_result(detail: &Value) -> Result<Trigger, Error> {
    const PATH: &str = "detail.serviceEventDetails.createAccountStatus";
    let status: CreateAccountStatus = read_field(detail, PATH, "CreateAccountResult")?;
    match status.state.as_deref() {
        Some("SUCCEEDED") => {
            let account_id = status.account_id.ok_or_else(|| {
                Error::malformed(
                    "CreateAccountResult",
                    format!("state SUCCEEDED without {PATH}.accountId"),
                )
            })?;
            Ok(Trigger::invite_accounts(vec![AccountId::parse(
                &account_id,
                &format!("{PATH}.accountId"),
            )?]))
        }
        Some("FAILED") => Ok(Trigger::Ignore(Ignored::CreationFailed(CreationFailure {
            create_account_request_id: status.id,
            failure_reason: status
                .failure_reason
                .map_or("(no failureReason given)".to_owned(), |reason| {
                    free_text(&reason)
                }),
        }))),
        state => Err(unexpected_state("CreateAccountResult", PATH, state)),
    }
}

/// Organizations' `CreateAccount` API call: only the creation request ID is known yet.
fn decode_create_account_call(name: &'static str, detail: &Value) -> Result<Trigger, Error> {
    if let Some(error) = read_call_error(detail) {
        return Ok(Trigger::not_an_addition(
            name,
            &format!("the call failed ({error}); no account was created"),
        ));
    }
    const PATH: &str = "detail.responseElements.createAccountStatus";
    let status: CreateAccountStatus = read_field(detail, PATH, name)?;
    let id = status
        .id
        .ok_or_else(|| Error::malformed(name, format!("{PATH}.id is missing")))?;
    Ok(Trigger::Invite(Request {
        create_account_request_ids: vec![CreateAccountRequestId::parse(
            &id,
            &format!("{PATH}.id"),
        )?],
        ..Request::default()
    }))
}

/// Organizations' `AccountJoinedOrganization`, recorded in the management account (Organizations
/// API reference, AcceptHandshake and CreateAccount: "available only in the management account's
/// event history"). No public sample of its detail exists, so the joined account is taken from any
/// `accountId` field of its details (`read_named_accounts`) and from the event's account resources, but never the
/// management account (the event's `account`) or the caller; when none is left, the accounts that
/// joined recently are looked for in the organization. A join recorded as CREATED is left to
/// `CreateAccountResult`, which names the account.
fn decode_account_joined(event: &EventBridgeEvent<Value>) -> Result<Trigger, Error> {
    const NAME: &str = "AccountJoinedOrganization";
    let detail = &event.detail;
    // Spelled `Created` and `CREATED` in the API reference (CreateAccount, AcceptHandshake):
    // compared without case.
    if let Some(method) =
        find_string(detail, "joinedMethod").filter(|method| method.eq_ignore_ascii_case("CREATED"))
    {
        return Ok(Trigger::not_an_addition(
            NAME,
            &format!(
                "joinedMethod {method}: an account created in the organization, which CreateAccountResult names"
            ),
        ));
    }
    let (named, not) = read_named_accounts(event)?;
    if named.is_empty() {
        return Ok(Trigger::InviteRecentJoins(RecentJoins {
            around: event.time.map(|time| time.timestamp()),
            not,
        }));
    }
    Ok(Trigger::invite_accounts(named))
}

/// Organizations' `AccountDepartedOrganization`, recorded in the management account with
/// `departureMethod` LEFT, REMOVED or CLEANED (Organizations API reference, LeaveOrganization,
/// RemoveAccountFromOrganization, CloseAccount). As for a join, where it
/// names the account is unverified: it is taken from `serviceEventDetails` and the account
/// resources, never the management account; the caller is a candidate where it is another
/// account. One that names none leads to the
/// reconcile, whose listings find every departed member.
fn decode_account_departed(event: &EventBridgeEvent<Value>) -> Result<Trigger, Error> {
    let (mut named, _) = read_named_accounts(event)?;
    // The caller, where it is not the management account, may be the account that left
    // (LeaveOrganization): in AWS's samples of service events that another account sets off,
    // `userIdentity.accountId` is that account. Organizations confirms its departure first.
    if let Some(caller) = read_outside_caller(event)? {
        named.push(caller);
        named.sort();
        named.dedup();
    }
    if named.is_empty() {
        return Ok(Trigger::Reconcile { regions: None });
    }
    Ok(Trigger::RemoveDeparted(Request {
        account_ids: named,
        ..Request::default()
    }))
}

/// Organizations' `CloseAccountResult`, "published after the account closes successfully"
/// (CloseAccount API reference): the closed account's members go now, not at the next reconcile.
/// No public sample shows its detail, so the account is read as for the membership events (any
/// `accountId` of `serviceEventDetails`), and a closure that names none, or whose `state` says
/// FAILED, is handled safely: none leads to the reconcile, a failure removes nothing.
fn decode_close_account_result(event: &EventBridgeEvent<Value>) -> Result<Trigger, Error> {
    const NAME: &str = "CloseAccountResult";
    let details = event.detail.get("serviceEventDetails");
    if let Some(state) = details
        .and_then(|details| find_string(details, "state"))
        .filter(|state| state.eq_ignore_ascii_case("FAILED"))
    {
        return Ok(Trigger::not_an_addition(
            NAME,
            &format!("state {state}: the account was not closed; nothing to remove"),
        ));
    }
    decode_account_departed(event)
}

/// The caller of an event (`detail.userIdentity.accountId`) where it is not the account that
/// recorded it (the event's `account`, the management account).
fn read_outside_caller(event: &EventBridgeEvent<Value>) -> Result<Option<AccountId>, Error> {
    const PATH: &str = "detail.userIdentity.accountId";
    let Some(caller) = event.detail.pointer("/userIdentity/accountId") else {
        return Ok(None);
    };
    let caller = parse_account_id_value(caller, PATH)?;
    Ok((event.account.as_deref() != Some(caller.as_str())).then_some(caller))
}

/// Organizations' `CloseAccount` and `RemoveAccountFromOrganization` API calls, recorded in the
/// management account, which name the account in `requestParameters.accountId`.
fn decode_departure_call(name: &'static str, detail: &Value) -> Result<Trigger, Error> {
    if let Some(error) = read_call_error(detail) {
        return Ok(Trigger::not_an_addition(
            name,
            &format!("the call failed ({error}); no account departed"),
        ));
    }
    const PATH: &str = "detail.requestParameters.accountId";
    let id = detail
        .pointer("/requestParameters/accountId")
        .ok_or_else(|| Error::malformed(name, format!("{PATH} is missing")))?;
    Ok(Trigger::RemoveDeparted(Request {
        account_ids: vec![parse_account_id_value(id, PATH)?],
        ..Request::default()
    }))
}

/// The accounts an Organizations membership event names in `serviceEventDetails` (or, were it
/// recorded as an API call, `requestParameters` and `responseElements`) and its account resources, sorted and once each, less the accounts it speaks for (the management account, its
/// `account`, and the caller), which are returned too.
fn read_named_accounts(
    event: &EventBridgeEvent<Value>,
) -> Result<(Vec<AccountId>, Vec<AccountId>), Error> {
    let detail = &event.detail;
    let mut not = Vec::new();
    for (value, read_field) in [
        (event.account.as_deref(), "account"),
        (
            detail
                .pointer("/userIdentity/accountId")
                .and_then(Value::as_str),
            "detail.userIdentity.accountId",
        ),
    ] {
        if let Some(value) = value {
            not.push(AccountId::parse(value, read_field)?);
        }
    }
    let mut named = Vec::new();
    for field in [
        "serviceEventDetails",
        "requestParameters",
        "responseElements",
    ] {
        if let Some(details) = detail.get(field) {
            collect_account_id_fields(details, &format!("detail.{field}"), &mut named)?;
        }
    }
    for (index, resource) in event.resources.iter().flatten().enumerate() {
        if let Some(id) = read_account_arn(resource) {
            named.push(AccountId::parse(id, &format!("resources[{index}]"))?);
        }
    }
    not.dedup();
    named.retain(|id| !not.contains(id));
    named.sort();
    named.dedup();
    Ok((named, not))
}

/// Every string under a key named `accountId` (in any case) in `value`, at any depth.
fn collect_account_id_fields(
    value: &Value,
    path: &str,
    into: &mut Vec<AccountId>,
) -> Result<(), Error> {
    match value {
        Value::Object(fields) => fields.iter().try_for_each(|(key, value)| {
            let path = format!("{path}.{}", excerpt(key));
            if key.eq_ignore_ascii_case("accountId") {
                into.push(parse_account_id_value(value, &path)?);
                Ok(())
            } else {
                collect_account_id_fields(value, &path, into)
            }
        }),
        Value::Array(items) => items.iter().enumerate().try_for_each(|(index, item)| {
            collect_account_id_fields(item, &format!("{path}[{index}]"), into)
        }),
        _ => Ok(()),
    }
}

/// The first string under a key named `key`, at any depth.
fn find_string<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    match value {
        Value::Object(fields) => fields
            .get(key)
            .and_then(Value::as_str)
            .or_else(|| fields.values().find_map(|value| find_string(value, key))),
        Value::Array(items) => items.iter().find_map(|item| find_string(item, key)),
        _ => None,
    }
}

/// The account ID of an Organizations account ARN
/// (`arn:PARTITION:organizations::MANAGEMENT:account/o-ID/ACCOUNT`).
fn read_account_arn(arn: &str) -> Option<&str> {
    let resource = arn.strip_prefix("arn:")?.splitn(5, ':').nth(4)?;
    let mut parts = resource.split('/');
    (arn.contains(":organizations:") && parts.next() == Some("account"))
        .then(|| parts.nth(1))
        .flatten()
}

/// The error for a status whose `state` is neither of the two an outcome event carries.
fn unexpected_state(event: &'static str, path: &str, state: Option<&str>) -> Error {
    let state = state.map_or("missing".to_owned(), |state| {
        format!("{:?}", excerpt(state))
    });
    Error::malformed(
        event,
        format!("{path}.state is {state}; expected SUCCEEDED or FAILED"),
    )
}

/// Control Tower's `CreateManagedAccount` and `UpdateManagedAccount`. Their `message` and timestamps
/// may be missing, so only the fields used are read.
fn decode_managed_account(name: &'static str, detail: &Value) -> Result<Trigger, Error> {
    let status_field = if name == "CreateManagedAccount" {
        "createManagedAccountStatus"
    } else {
        "updateManagedAccountStatus"
    };
    let path = format!("detail.serviceEventDetails.{status_field}");
    let status = detail
        .get("serviceEventDetails")
        .and_then(|details| details.get(status_field))
        .ok_or_else(|| Error::malformed(name, format!("{path} is missing")))?;
    let message = status.get("message").and_then(Value::as_str);
    match status.get("state").and_then(Value::as_str) {
        Some("SUCCEEDED") => {
            let account_id = status.pointer("/account/accountId").ok_or_else(|| {
                Error::malformed(
                    name,
                    format!("state SUCCEEDED without {path}.account.accountId"),
                )
            })?;
            Ok(Trigger::invite_accounts(vec![parse_account_id_value(
                account_id,
                &format!("{path}.account.accountId"),
            )?]))
        }
        Some("FAILED") => Ok(Trigger::Ignore(Ignored::CreationFailed(CreationFailure {
            create_account_request_id: None,
            failure_reason: format!(
                "Control Tower {name} FAILED: {}",
                // Free text from the event: cut short, and never an email address in a log line.
                message.map_or("(no message given)".to_owned(), free_text)
            ),
        }))),
        state => Err(unexpected_state(name, &path, state)),
    }
}

fn has_custom_fields(detail: &Value) -> bool {
    ["accountId", "accountIds", "createAccountRequestId"]
        .iter()
        .any(|key| detail.get(*key).is_some())
}

/// A custom event from an account factory: `detail.accountId`, `detail.accountIds` or
/// `detail.createAccountRequestId`, in any combination.
fn decode_custom_event(detail: &Value) -> Result<Trigger, Error> {
    let mut request = Request::default();
    if let Some(id) = detail.get("accountId") {
        request
            .account_ids
            .push(parse_account_id_value(id, "detail.accountId")?);
    }
    if let Some(ids) = detail.get("accountIds") {
        let ids = ids.as_array().ok_or_else(|| {
            Error::malformed(
                "custom",
                format!(
                    "detail.accountIds is a {}, not an array of account IDs",
                    name_json_kind(ids)
                ),
            )
        })?;
        request
            .account_ids
            .extend(parse_account_ids(ids, "detail.accountIds")?);
    }
    if let Some(id) = detail.get("createAccountRequestId") {
        let id = id.as_str().ok_or_else(|| Error::InvalidRequestId {
            value: excerpt(&id.to_string()),
            field: "detail.createAccountRequestId".to_owned(),
        })?;
        request
            .create_account_request_ids
            .push(CreateAccountRequestId::parse(
                id,
                "detail.createAccountRequestId",
            )?);
    }
    Ok(Trigger::Invite(request))
}
