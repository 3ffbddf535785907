//! The calls an invocation spends on the accounts it names: one call per account for a few, the
//! listings of the organization and of Macie's members for many, and never much more than the
//! fewer of the two. moto's Organizations and the Macie stand-in, over HTTP, count them.

use crate::support::{CallCounter, Standins, entries, invoke, invoke_ok};
use serde_json::json;

const REGIONS: &str = "us-east-1,eu-west-1";

/// The IDs of the accounts that `serve.py --accounts` creates, in the order it creates them.
fn created(range: std::ops::Range<u64>) -> Vec<String> {
    range.map(|n| (700_000_000_000 + n).to_string()).collect()
}

#[tokio::test]
async fn many_accounts_are_read_from_the_organization_listing_rather_than_described_each() {
    // GIVEN an organization of 121 accounts (7 pages of ListAccounts) and no Macie member yet
    let standins = Standins::start_with(&["--accounts", "120"]);
    let counter = CallCounter::default();
    let app = standins
        .counted_app(&[("MACIE_REGIONS", REGIONS)], &counter)
        .await;
    // WHEN a manual invocation names the 100 newest accounts and one from outside the organization
    let mut ids = created(20..120);
    ids.push("999999999999".to_owned());
    let summary = invoke(&app, json!({ "accountIds": ids })).await.unwrap();

    // THEN each is invited in both regions, the stranger is reported as no account of the
    // organization, and the calls are the listings: no DescribeAccount, no GetMember
    let invited = entries(&summary, "invited");
    assert_eq!(invited.len(), 200, "{summary:#}");
    assert_eq!(
        entries(&summary, "failed"),
        [("999999999999".to_owned(), String::new())],
        "{summary:#}"
    );
    assert!(
        summary["failed"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("not an account of this organization")
    );
    assert_eq!(counter.count("ListAccounts"), 7);
    assert_eq!(counter.count("DescribeAccount"), 0);
    for region in ["us-east-1", "eu-west-1"] {
        let calls = |operation| standins.macie_calls_of(operation, Some(region)).len();
        assert_eq!(calls("ListMembers"), 1, "{region}: one empty page");
        assert_eq!(calls("GetMember"), 0, "{region}");
        assert_eq!(calls("CreateMember"), 100, "{region}");
        assert_eq!(
            calls("CreateInvitations"),
            2,
            "{region}: 50 accounts a call"
        );
    }
}

#[tokio::test]
async fn a_few_accounts_are_described_each_and_checked_each() {
    // GIVEN an organization of 121 accounts, and a region with 80 members (4 pages of ListMembers)
    let standins = Standins::start_with(&["--accounts", "120"]);
    for n in 0..80 {
        standins.seed_member(
            "us-east-1",
            &(800_000_000_000u64 + n).to_string(),
            "Enabled",
        );
    }
    let counter = CallCounter::default();
    let app = standins.counted_app(&[], &counter).await;

    // WHEN one account is named, then three
    let one = invoke_ok(&app, json!({ "accountIds": created(119..120) })).await;
    let describe_for_one = counter.count("DescribeAccount");
    let get_member_for_one = standins.macie_calls_of("GetMember", None).len();
    let list_members_for_one = standins.macie_calls_of("ListMembers", None).len();
    let three = invoke_ok(&app, json!({ "accountIds": created(116..119) })).await;

    // THEN one is one DescribeAccount and one GetMember; three are three DescribeAccount, and one
    // page of the long member listing (which finds none of them) before three GetMember
    assert_eq!(entries(&one, "invited").len(), 1, "{one:#}");
    assert_eq!(entries(&three, "invited").len(), 3, "{three:#}");
    assert_eq!(
        (describe_for_one, get_member_for_one, list_members_for_one),
        (1, 1, 0)
    );
    assert_eq!(counter.count("ListAccounts"), 0);
    assert_eq!(counter.count("DescribeAccount"), 1 + 3);
    assert_eq!(standins.macie_calls_of("ListMembers", None).len(), 1);
    assert_eq!(standins.macie_calls_of("GetMember", None).len(), 1 + 3);
}

#[tokio::test]
async fn a_failed_listing_gives_way_to_one_description_per_account() {
    use aws_sdk_organizations::Client;
    use aws_sdk_organizations::operation::describe_account::DescribeAccountOutput;
    use aws_sdk_organizations::operation::list_accounts::ListAccountsError;
    use aws_sdk_organizations::types::error::AccessDeniedException;
    use aws_sdk_organizations::types::{Account, AccountState};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use macie_invite::App;
    use macie_invite::organizations::Organizations;

    // GIVEN an Organizations that refuses ListAccounts but describes every account
    let standins = Standins::start();
    let listing = mock!(Client::list_accounts).then_error(|| {
        ListAccountsError::AccessDeniedException(
            AccessDeniedException::builder()
                .message("not allowed to list")
                .build(),
        )
    });
    let described = mock!(Client::describe_account)
        .match_requests(|request| request.account_id().is_some())
        .then_compute_output(|request| {
            let id = request.account_id().unwrap();
            DescribeAccountOutput::builder()
                .account(
                    Account::builder()
                        .id(id)
                        .email(format!("{id}@example.com"))
                        .state(AccountState::Active)
                        .build(),
                )
                .build()
        });
    let organizations = mock_client!(
        aws_sdk_organizations,
        RuleMode::MatchAny,
        [&listing, &described]
    );
    let template = standins.app(&[]).await;
    let app = App {
        organizations: Organizations::new(organizations),
        ..template
    };

    // WHEN 60 accounts are named (more than are described one by one at first)
    let ids = created(0..60);
    let summary = invoke(&app, json!({ "accountIds": ids })).await.unwrap();

    // THEN the listing was tried once, and every account was described and invited
    assert_eq!(listing.num_calls(), 1);
    assert_eq!(described.num_calls(), 60);
    assert_eq!(entries(&summary, "invited").len(), 60, "{summary:#}");
}
