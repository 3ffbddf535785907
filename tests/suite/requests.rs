//! Creation requests that have not succeeded: DescribeCreateAccountStatus answers faked with
//! aws-smithy-mocks (moto completes every creation at once), Macie from the stand-in.

use crate::support::{Standins, invoke};
use aws_sdk_organizations::Client;
use aws_sdk_organizations::operation::describe_create_account_status::{
    DescribeCreateAccountStatusError, DescribeCreateAccountStatusOutput,
};
use aws_sdk_organizations::types::error::CreateAccountStatusNotFoundException;
use aws_sdk_organizations::types::{
    CreateAccountFailureReason, CreateAccountState, CreateAccountStatus,
};
use aws_smithy_mocks::{RuleMode, mock, mock_client};
use macie_invite::App;
use macie_invite::organizations::Organizations;
use serde_json::json;

fn status(id: &'static str, state: CreateAccountState) -> aws_smithy_mocks::Rule {
    mock!(Client::describe_create_account_status)
        .match_requests(move |request| request.create_account_request_id() == Some(id))
        .then_output(move || {
            let mut status = CreateAccountStatus::builder().id(id).state(state.clone());
            if state == CreateAccountState::Failed {
                status = status.failure_reason(CreateAccountFailureReason::EmailAlreadyExists);
            }
            DescribeCreateAccountStatusOutput::builder()
                .create_account_status(status.build())
                .build()
        })
}

#[tokio::test]
async fn requests_in_progress_are_pending_and_failed_or_unknown_ones_are_reported_without_any_invitation()
 {
    let standins = Standins::start();
    let in_progress = status("car-inprogress00", CreateAccountState::InProgress);
    let failed = status("car-failedrequest0", CreateAccountState::Failed);
    let unknown = mock!(Client::describe_create_account_status)
        .match_requests(|request| request.create_account_request_id() == Some("car-unknownrequest0"))
        .then_error(|| {
            DescribeCreateAccountStatusError::CreateAccountStatusNotFoundException(
                CreateAccountStatusNotFoundException::builder()
                    .message("We can't find a create account request with the CreateAccountRequestId that you specified.")
                    .build(),
            )
        });
    let organizations = mock_client!(
        aws_sdk_organizations,
        RuleMode::MatchAny,
        [&in_progress, &failed, &unknown]
    );
    let template = standins.app(&[]).await;
    let app = App {
        organizations: Organizations::new(organizations),
        ..template
    };

    let summary = invoke(
        &app,
        json!({"createAccountRequestIds": ["car-inprogress00", "car-failedrequest0", "car-unknownrequest0"]}),
    )
    .await
    .unwrap();

    assert_eq!(
        summary["pending"][0]["createAccountRequestId"],
        "car-inprogress00"
    );
    assert!(
        summary["pending"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("IN_PROGRESS")
    );
    assert_eq!(
        summary["creationsFailed"],
        json!([
            {"createAccountRequestId": "car-failedrequest0", "failureReason": "EMAIL_ALREADY_EXISTS"},
            {"createAccountRequestId": "car-unknownrequest0",
             "failureReason": "Organizations knows no such account creation request (CreateAccountStatusNotFoundException)"}
        ])
    );
    assert_eq!(summary["invited"], json!([]));
    assert!(standins.macie_calls().is_empty());
    assert_eq!(
        in_progress.num_calls() + failed.num_calls() + unknown.num_calls(),
        3
    );
}
