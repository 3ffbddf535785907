//! The membership lifecycle: members whose accounts left the organization or are closing are
//! removed from Macie, only those that the function enrolled (its tag), never an ACTIVE account,
//! never on an incomplete listing, never more than MAX_REMOVALS in a run; against moto's
//! Organizations and the Macie stand-in, through the real handler.

use crate::support::{Organization, Standins, entries, invoke_ok, region_tally};
use serde_json::{Value, json};

const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
/// Accounts that are not in the organization: members whose accounts left it.
const GONE_INVITED: &str = "555500000001";
const GONE_CREATED: &str = "555500000002";
const OUTSIDER: &str = "555500000003";

/// An organization with an active enrolled member, an active member the function did not enroll,
/// a CLOSED enrolled member and a new account; and, outside it, two enrolled members
/// and one that is not: the same in both regions.
struct Layout {
    standins: Standins,
    active_enrolled: String,
    active_untagged: String,
    closed: String,
    new: String,
    organization: Organization,
}

async fn lay_out() -> Layout {
    let standins = Standins::start();
    let organization = standins.organization().await;
    let active_enrolled = organization.create_account("kept@example.com").await;
    let active_untagged = organization.create_account("byhand@example.com").await;
    let closed = organization.create_account("closed@example.com").await;
    let new = organization.create_account("new@example.com").await;
    organization.close_account(&closed).await;
    standins.complete_closure(&closed);
    for region in REGIONS {
        standins.seed_enrolled_member(region, &active_enrolled, "Enabled");
        standins.seed_member(region, &active_untagged, "Enabled");
        standins.seed_enrolled_member(region, &closed, "Enabled");
        standins.seed_enrolled_member(region, GONE_INVITED, "Invited");
        standins.seed_enrolled_member(region, GONE_CREATED, "Created");
        standins.seed_member(region, OUTSIDER, "Enabled");
    }
    Layout {
        standins,
        active_enrolled,
        active_untagged,
        closed,
        new,
        organization,
    }
}

/// The accounts of one list of the summary, with their regions, sorted; none where it is absent.
fn listed(summary: &Value, list: &str) -> Vec<(String, String)> {
    if summary.get(list).is_none() {
        return Vec::new();
    }
    sorted(entries(summary, list))
}

fn sorted(mut pairs: Vec<(String, String)>) -> Vec<(String, String)> {
    pairs.sort();
    pairs
}

/// Each of `accounts` in each region, as `entries` lists them.
fn everywhere(accounts: &[&str]) -> Vec<(String, String)> {
    let pairs = accounts
        .iter()
        .flat_map(|account| REGIONS.map(|region| (account.to_string(), region.to_owned())))
        .collect();
    sorted(pairs)
}

/// The accounts that the calls of `operation` named, with their regions.
fn called(standins: &Standins, operation: &str) -> Vec<(String, String)> {
    let pairs = standins
        .macie_calls_of(operation, None)
        .iter()
        .map(|call| {
            let path = call["path"].as_str().unwrap();
            let account = path.rsplit('/').next().unwrap().to_owned();
            (account, call["region"].as_str().unwrap().to_owned())
        })
        .collect();
    sorted(pairs)
}

fn reason_of(summary: &Value, list: &str, account: &str) -> String {
    summary[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["accountId"] == account)
        .and_then(|entry| entry["reason"].as_str())
        .unwrap_or_else(|| panic!("{account} not in {list}: {summary:#}"))
        .to_owned()
}

#[tokio::test]
async fn a_reconcile_removes_the_departed_members_it_enrolled_and_nothing_else() {
    // GIVEN the layout, and the function in both regions
    let layout = lay_out().await;
    let standins = &layout.standins;
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;

    // WHEN it reconciles
    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    // THEN the closed account's member and the two enrolled members from outside the organization
    // are removed in each region: one DisassociateMember where associated, one DeleteMember each
    let removed = [layout.closed.as_str(), GONE_INVITED, GONE_CREATED];
    assert_eq!(listed(&summary, "removed"), everywhere(&removed));
    let associated = [layout.closed.as_str(), GONE_INVITED];
    assert_eq!(
        called(standins, "DisassociateMember"),
        everywhere(&associated)
    );
    assert_eq!(called(standins, "DeleteMember"), everywhere(&removed));
    for region in REGIONS {
        for account in removed {
            assert_eq!(standins.member_status(region, account), None, "{account}");
        }
        // AND the member it did not enroll is kept and reported, and the active accounts' members
        // stay, whatever their tags, unreported
        for account in [&layout.active_enrolled, &layout.active_untagged] {
            assert_eq!(
                standins.member_status(region, account).as_deref(),
                Some("Enabled")
            );
        }
        assert!(standins.member_status(region, OUTSIDER).is_some());
        let tally = region_tally(&summary, region);
        assert_eq!(
            (tally["removed"].as_u64(), tally["kept"].as_u64()),
            (Some(3), Some(1))
        );
    }
    assert_eq!(listed(&summary, "kept"), everywhere(&[OUTSIDER]));
    assert!(reason_of(&summary, "kept", OUTSIDER).contains("did not enroll it"));
    // AND each region's coverage: three eligible accounts (the closed one and the administrator are
    // not), two Enabled, the new one invited; four members left against the quota (six listed,
    // three removed, one associated)
    for region in REGIONS {
        let tally = region_tally(&summary, region);
        let coverage: Vec<&Value> = [
            "eligible",
            "enabled",
            "invitedNotAccepted",
            "awaitingAcceptance",
            "uncovered",
            "shareOfDueCovered",
            "quotaUsed",
            "quotaUsedShare",
        ]
        .iter()
        .map(|field| &tally[*field])
        .collect();
        // The new account's invitation has just gone: it waits for a person, and is no gap yet.
        assert_eq!(
            coverage,
            [
                &json!(3),
                &json!(2),
                &json!(1),
                &json!(1),
                &json!(0),
                &json!(100.0),
                &json!(4),
                &json!(0.4)
            ],
            "{region}: {tally}"
        );
    }
    assert!(summary.get("held").is_none());

    // AND the new account is enrolled with the function's tag
    let enrolled: Vec<Value> = standins
        .macie_calls_of("CreateMember", None)
        .into_iter()
        .filter(|call| call["body"]["account"]["accountId"] == layout.new.as_str())
        .collect();
    assert_eq!(enrolled.len(), 2);
    for call in enrolled {
        assert_eq!(
            call["body"]["tags"],
            json!({"macie-invite:enrolled": "true"})
        );
    }

    // AND a second reconcile removes nothing more
    let again = invoke_ok(&app, json!({"action": "reconcile"})).await;
    assert_eq!(listed(&again, "removed"), []);
    assert_eq!(called(standins, "DeleteMember").len(), 6);
}

#[tokio::test]
async fn more_departures_than_max_removals_remove_none_and_raise_the_alarm() {
    let layout = lay_out().await;
    let standins = &layout.standins;
    let app = standins
        .app(&[
            ("MACIE_REGIONS", "us-east-1,eu-west-1"),
            ("MAX_REMOVALS", "2"),
        ])
        .await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    // Three accounts would lose their membership: none does, each is held and says why, and the
    // outsider is kept as ever
    assert_eq!(called(standins, "DisassociateMember"), []);
    assert_eq!(called(standins, "DeleteMember"), []);
    let held = [layout.closed.as_str(), GONE_INVITED, GONE_CREATED];
    assert_eq!(listed(&summary, "held"), everywhere(&held));
    assert_eq!(listed(&summary, "kept"), everywhere(&[OUTSIDER]));
    assert!(reason_of(&summary, "held", GONE_INVITED).contains("more than MAX_REMOVALS (2)"));
    for region in REGIONS {
        assert_eq!(region_tally(&summary, region)["held"], 3);
    }
    for region in REGIONS {
        assert_eq!(
            standins.member_status(region, GONE_INVITED).as_deref(),
            Some("Invited")
        );
    }
}

#[tokio::test]
async fn a_dry_run_plans_the_removals_and_removal_off_only_reports_them() {
    let layout = lay_out().await;
    let standins = &layout.standins;
    let app = standins.app(&[("MACIE_REGIONS", "us-east-1")]).await;

    let plan = invoke_ok(&app, json!({"action": "reconcile", "dryRun": true})).await;

    let actions = |account: &str| {
        plan["planned"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["accountId"] == account)
            .map(|entry| entry["actions"].clone())
    };
    assert_eq!(
        actions(GONE_INVITED),
        Some(json!(["disassociate", "delete"]))
    );
    assert_eq!(actions(GONE_CREATED), Some(json!(["delete"])));
    assert_eq!(
        actions(&layout.closed),
        Some(json!(["disassociate", "delete"]))
    );
    assert_eq!(called(standins, "DisassociateMember"), []);
    assert_eq!(called(standins, "DeleteMember"), []);

    let off = standins
        .app(&[("MACIE_REGIONS", "us-east-1"), ("REMOVE_DEPARTED", "false")])
        .await;
    let reported = invoke_ok(&off, json!({"action": "reconcile"})).await;
    assert_eq!(called(standins, "DeleteMember"), []);
    assert!(reason_of(&reported, "kept", GONE_CREATED).contains("REMOVE_DEPARTED=false"));
    assert!(
        reported.get("held").is_none(),
        "off is a choice, not an alarm"
    );
}

#[tokio::test]
async fn a_region_whose_listing_fails_removes_nothing_and_a_failed_removal_is_retried() {
    let layout = lay_out().await;
    let standins = &layout.standins;
    // GIVEN eu-west-1's listing throttled past the SDK's retries, and DeleteMember failing for one
    // account in us-east-1
    standins.set_faults(json!({"rules": [
        {"operation": "ListMembers", "region": "eu-west-1", "errorType": "ThrottlingException"},
        {"operation": "DeleteMember", "region": "us-east-1", "id": GONE_CREATED,
         "errorType": "InternalServerException", "count": 10},
    ]}));
    let app = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;

    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    // THEN nothing is removed in eu-west-1
    assert!(
        called(standins, "DeleteMember")
            .iter()
            .all(|(_, region)| region == "us-east-1")
    );
    for account in [layout.closed.as_str(), GONE_INVITED, GONE_CREATED] {
        assert!(standins.member_status("eu-west-1", account).is_some());
    }
    // AND in us-east-1 the failed removal is re-queued as that account's removal there
    let requeued: Vec<&Value> = summary["requeued"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["departed"] == true)
        .collect();
    assert_eq!(requeued.len(), 1, "{summary:#}");
    assert_eq!(requeued[0]["accountId"], GONE_CREATED);
    assert_eq!(requeued[0]["region"], "us-east-1");
    let reason = requeued[0]["reason"].as_str().unwrap();
    assert!(reason.contains("DeleteMember"), "{reason}");
    let removed_here = listed(&summary, "removed").len();
    assert_eq!(removed_here, 2, "{summary:#}");

    // WHEN the retry queue delivers it, the last member is removed
    standins.set_faults(json!({"rules": []}));
    let messages = standins.drain(&standins.queues().await.retry).await;
    let retried = invoke_ok(&app, crate::support::sqs_event(&messages)).await;
    assert_eq!(retried["batchItemFailures"], json!([]));
    for account in [layout.closed.as_str(), GONE_INVITED, GONE_CREATED] {
        assert_eq!(standins.member_status("us-east-1", account), None);
    }
}

#[tokio::test]
async fn a_throttled_page_of_the_organization_removes_nothing() {
    use aws_sdk_organizations::Client;
    use aws_sdk_organizations::operation::list_accounts::{ListAccountsError, ListAccountsOutput};
    use aws_sdk_organizations::types::error::TooManyRequestsException;
    use aws_sdk_organizations::types::{Account, AccountState};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};
    use aws_smithy_types::error::ErrorMetadata;
    use macie_invite::App;
    use macie_invite::organizations::Organizations;

    // GIVEN an organization whose first page lists the active account and whose second page is
    // throttled, past the SDK's retries
    let layout = lay_out().await;
    let standins = &layout.standins;
    let active = layout.active_enrolled.clone();
    let first = mock!(Client::list_accounts)
        .match_requests(|request| request.next_token().is_none())
        .then_output(move || {
            let account = Account::builder()
                .id(&active)
                .email("kept@example.com")
                .state(AccountState::Active)
                .build();
            ListAccountsOutput::builder()
                .accounts(account)
                .next_token("page-2")
                .build()
        });
    let throttled = mock!(Client::list_accounts)
        .match_requests(|request| request.next_token().is_some())
        .then_error(|| {
            let meta = ErrorMetadata::builder()
                .code("TooManyRequestsException")
                .message("throttled")
                .build();
            ListAccountsError::TooManyRequestsException(
                TooManyRequestsException::builder()
                    .message("throttled")
                    .meta(meta)
                    .build(),
            )
        });
    let organizations = mock_client!(
        aws_sdk_organizations,
        RuleMode::MatchAny,
        [&first, &throttled]
    );
    let template = standins
        .app(&[("MACIE_REGIONS", "us-east-1,eu-west-1")])
        .await;
    let app = App {
        organizations: Organizations::new(organizations),
        ..template
    };

    // WHEN it reconciles
    let summary = invoke_ok(&app, json!({"action": "reconcile"})).await;

    // THEN no member is removed, and the reconcile goes on later
    assert!(throttled.num_calls() >= 1);
    assert_eq!(called(standins, "DisassociateMember"), []);
    assert_eq!(called(standins, "DeleteMember"), []);
    assert_eq!(listed(&summary, "removed"), []);
    assert!(
        summary["requeued"]
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["reconcile"] == true),
        "{summary:#}"
    );
}

#[tokio::test]
async fn a_named_departure_removes_only_what_the_organization_confirms_and_the_function_enrolled() {
    // GIVEN the layout in us-east-1
    let layout = lay_out().await;
    let standins = &layout.standins;
    let app = standins.app(&[("MACIE_REGIONS", "us-east-1")]).await;

    // WHEN a removal names a departed enrolled account, an untagged outsider, an ACTIVE enrolled
    // account and an account that was never a member
    let never = "101010101010";
    let event = json!({"action": "remove", "accountIds": [
        GONE_INVITED, OUTSIDER, layout.active_enrolled, never,
    ]});
    let summary = invoke_ok(&app, event).await;

    // THEN only the departed enrolled member is removed, with one call of each
    let here = || vec![(GONE_INVITED.to_owned(), "us-east-1".to_owned())];
    assert_eq!(listed(&summary, "removed"), here());
    assert_eq!(called(standins, "DisassociateMember"), here());
    assert_eq!(called(standins, "DeleteMember"), here());
    // AND the others say why
    assert!(reason_of(&summary, "kept", OUTSIDER).contains("did not enroll it"));
    let active = reason_of(&summary, "skipped", &layout.active_enrolled);
    assert!(active.contains("still in the organization"), "{active}");
    assert!(reason_of(&summary, "skipped", never).contains("not a member"));
    assert_eq!(
        standins
            .member_status("us-east-1", &layout.active_enrolled)
            .as_deref(),
        Some("Enabled")
    );
}

#[tokio::test]
async fn adopting_tags_only_the_untagged_members_of_active_accounts_and_its_dry_run_tags_none() {
    // GIVEN the layout in us-east-1: one ACTIVE account's member untagged (enrolled before the tag)
    let layout = lay_out().await;
    let standins = &layout.standins;
    let app = standins.app(&[("MACIE_REGIONS", "us-east-1")]).await;

    // WHEN the adoption runs as a dry run first
    let plan = invoke_ok(&app, json!({"action": "adopt", "dryRun": true})).await;

    // THEN it plans to tag that member alone, and tags nothing
    let here = |account: &str| vec![(account.to_owned(), "us-east-1".to_owned())];
    assert_eq!(listed(&plan, "planned"), here(&layout.active_untagged));
    assert_eq!(plan["planned"][0]["actions"], json!(["tag"]));
    assert!(standins.macie_calls_of("TagResource", None).is_empty());

    // WHEN it runs for real, it tags that member, with one call
    let adopted = invoke_ok(&app, json!({"action": "adopt"})).await;
    assert_eq!(listed(&adopted, "adopted"), here(&layout.active_untagged));
    let tagged = standins.macie_calls_of("TagResource", None);
    assert_eq!(tagged.len(), 1);
    assert_eq!(
        tagged[0]["body"]["tags"],
        json!({"macie-invite:enrolled": "true"})
    );

    // AND once its account departs, the reconcile removes it; the outsider stays
    layout
        .organization
        .close_account(&layout.active_untagged)
        .await;
    standins.complete_closure(&layout.active_untagged);
    let reconciled = invoke_ok(&app, json!({"action": "reconcile"})).await;
    let removed = listed(&reconciled, "removed");
    assert!(
        removed.contains(&here(&layout.active_untagged)[0]),
        "{reconciled:#}"
    );
    assert!(standins.member_status("us-east-1", OUTSIDER).is_some());
}
