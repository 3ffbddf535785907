//! The preflight, `{"action": "check"}`: every read-only probe of what the function needs, judged by
//! `preflight`. It makes no mutating call, and it answers even when checks fail.

use futures_util::future::join_all;
use lambda_runtime::tracing;

use crate::domain::{
    AccountId, CreateAccountRequestId, MemberListing, Mode, Organization, OrganizationalUnitId,
    QueueDepth, Region,
};
use crate::error::Error;
use crate::policy::mode::judge_mode;
use crate::preflight::{self, Check, CheckReport, IdList, QueueRole, Read, Status};
use crate::workflow::scope::Scope;

/// Runs every check; `accounts` are the accounts to try the accept role in. Lookups of excluded
/// IDs, which may be many, stop as the deadline nears.
pub(crate) async fn run_check(scope: Scope<'_>, accounts: &[AccountId]) -> CheckReport {
    let (app, own) = (scope.app, scope.own_account);
    let ((organization, reads), regions, queues, accept, exclusions, discovery) = tokio::join!(
        probe_organization(scope),
        join_all(
            app.config
                .regions
                .iter()
                .map(|region| probe_macie(scope, own, region))
        ),
        join_all([QueueRole::Retry, QueueRole::DeadLetter].map(|role| probe_queue(scope, role))),
        probe_accept_roles(scope, own, accounts),
        async {
            let exclusions = probe_id_list(scope, &preflight::EXCLUSIONS);
            let discovery = probe_id_list(scope, &preflight::DISCOVERY_OFF);
            let (exclusions, discovery) = tokio::join!(exclusions, discovery);
            match app.config.discovery.is_set() {
                true => vec![exclusions, discovery],
                false => vec![exclusions],
            }
        },
        probe_discovery(scope),
    );
    let (settings_check, settings) = preflight::judge_settings(&app.config);
    let expected = app.config.management_account_id.as_ref();
    let checks: Vec<Check> = [
        preflight::judge_organizations(own, &organization, &reads),
        preflight::judge_events(own, expected, &organization),
    ]
    .into_iter()
    .chain(regions.into_iter().flatten())
    .chain(queues)
    .chain(accept)
    .chain(exclusions)
    .chain(discovery)
    .chain([settings_check])
    .collect();
    let report = CheckReport::new(own.cloned(), organization.ok().as_ref(), checks, settings);
    log_report(&report);
    report
}

/// A creation request ID of the right form that names no request.
const NO_SUCH_REQUEST: &str = "car-00000000";

/// The organization, and each read the function makes of it, tried on its management account (a
/// creation request that does not exist: Organizations answers that it finds none, if allowed to).
async fn probe_organization(scope: Scope<'_>) -> (Result<Organization, Error>, Vec<Read>) {
    let app = scope.app;
    let organization = app.organizations.describe_organization().await;
    let Ok(management) = organization.as_ref().map(|o| &o.management_account) else {
        return (organization, Vec::new());
    };
    let organizations = &app.organizations;
    let (listing, described, creation, parent) = tokio::join!(
        organizations.can_list_accounts(),
        organizations.describe_account(management),
        async {
            let request = CreateAccountRequestId::parse(NO_SUCH_REQUEST, "the check")?;
            organizations.creation(&request).await.map(|_| ())
        },
        organizations.parent(management.as_str()),
    );
    let reads: Vec<Read> = vec![
        ("organizations:ListAccounts", listing),
        ("organizations:DescribeAccount", described.map(|_| ())),
        ("organizations:DescribeCreateAccountStatus", creation),
        ("organizations:ListParents", parent.map(|_| ())),
    ];
    (organization, reads)
}

/// This account's Macie in `region`, whether it is another administrator's member, and, where
/// Macie answers, the region's mode and how much of the quota of members its members use.
async fn probe_macie(scope: Scope<'_>, own: Option<&AccountId>, region: &Region) -> Vec<Check> {
    let app = scope.app;
    let session = app.macie.session_status(region).await;
    // A member of another administrator is told apart only where Macie answers at all.
    let (administrator, members, configuration) = match &session {
        Ok(_) => tokio::join!(
            app.macie.administrator(region),
            app.macie.list_members(region),
            app.macie.organization_configuration(region),
        ),
        Err(_) => {
            let macie = preflight::judge_macie(region, &session, None);
            return vec![macie];
        }
    };
    let read = judge_mode(configuration);
    let forced = app.config.enrollment_mode;
    let mode = forced.or(read.as_ref().ok().map(|read| read.mode));
    let exclusions =
        !(app.config.excluded_account_ids.is_empty() && app.config.excluded_ou_ids.is_empty());
    let mode = mode.unwrap_or(Mode::Invitations);
    let count = members
        .as_ref()
        .map(MemberListing::len)
        .map_err(Clone::clone);
    let resume = app.config.resume_paused;
    let role = app.config.accept_role_name.as_deref();
    vec![
        preflight::judge_macie(region, &session, Some(&administrator)),
        preflight::judge_enrollment(region, &read, forced, exclusions, own),
        preflight::judge_quota(region, &count, mode),
        preflight::judge_drift(region, &members, resume.then_some((mode, role))),
        probe_baseline(scope, region).await,
    ]
}

/// The administrator's own Macie settings in `region`, and its automated discovery (for the
/// warning where results would be kept only 90 days).
async fn probe_baseline(scope: Scope<'_>, region: &Region) -> Check {
    let macie = &scope.app.macie;
    let settings = macie.settings(region);
    let (frequency, publication, repository, discovery) = tokio::join!(
        settings.frequency(),
        settings.publication(),
        settings.repository(),
        macie.discovery_configuration(region),
    );
    let discovery = discovery.ok().map(|configuration| configuration.status);
    let read = preflight::BaselineRead {
        frequency,
        publication,
        repository,
        discovery,
    };
    preflight::judge_baseline_setup(region, &read, &scope.app.config.baseline)
}

/// The queue of `role`: configured, and readable.
async fn probe_queue(scope: Scope<'_>, role: QueueRole) -> Check {
    let app = scope.app;
    let url = match role {
        QueueRole::Retry => app.config.retry_queue_url.as_deref(),
        QueueRole::DeadLetter => app.config.dead_letter_queue_url.as_deref(),
    };
    let depth: Option<Result<QueueDepth, Error>> = match url {
        Some(url) => Some(app.queue.depth(url).await),
        None => None,
    };
    preflight::judge_queue(role, depth.as_ref())
}

/// The accept role in each named account, tried in the first region (a role is global).
async fn probe_accept_roles(
    scope: Scope<'_>,
    own: Option<&AccountId>,
    accounts: &[AccountId],
) -> Vec<Check> {
    let app = scope.app;
    let (Some(role), false) = (app.config.accept_role_name.as_deref(), accounts.is_empty()) else {
        return vec![preflight::judge_accept_role_untried(
            app.config.accept_role_name.as_deref(),
        )];
    };
    let region = &app.config.regions[0];
    let checks = join_all(accounts.iter().map(|account| async move {
        let Some(own) = own else {
            return vec![preflight::judge_accept_role(role, account, None, &Ok(()))];
        };
        let session = app.macie.member_session(region, account, role).await;
        let tried = match &session {
            Ok(session) => session.invitation_from(own).await.map(|_| ()),
            Err(error) => Err(error.clone()),
        };
        let mut checks = vec![preflight::judge_accept_role(
            role,
            account,
            Some(own),
            &tried,
        )];
        // The member's own frequency and publication, read through the role: its baseline.
        if let (Ok(session), Ok(())) = (&session, &tried) {
            let settings = session.settings();
            let read = (settings.frequency().await, settings.publication().await);
            checks.push(preflight::judge_member_baseline(account, region, read));
        }
        checks
    }));
    checks.await.into_iter().flatten().collect()
}

/// Each account and unit of `list` looked up, a few at a time, while the deadline allows: the
/// exclusions' units by their parent, the discovery policy's walked down, as the policy reads them.
async fn probe_id_list(scope: Scope<'_>, list: &IdList) -> Check {
    let app = scope.app;
    let discovery = list.check == preflight::DISCOVERY_OFF.check;
    let account = |id: AccountId| async move {
        let found = app.organizations.describe_account(&id).await;
        (id, Some(found.map(|account| account.is_some())))
    };
    let unit = |id: OrganizationalUnitId| async move {
        let found = match discovery {
            true => app.organizations.accounts_under(&id).await.map(|_| ()),
            false => app.organizations.parent(id.as_str()).await.map(|_| ()),
        };
        (id, Some(preflight::unit_found(found)))
    };
    let (accounts, units) = match discovery {
        true => (
            &app.config.discovery.off_account_ids,
            &app.config.discovery.off_ou_ids,
        ),
        false => (
            &app.config.excluded_account_ids,
            &app.config.excluded_ou_ids,
        ),
    };
    let (accounts, units) = (accounts.iter().cloned(), units.iter().cloned());
    let (mut accounts, mut units) = tokio::join!(
        scope.each(accounts, account, |id| (id, None)),
        scope.each(units, unit, |id| (id, None)),
    );
    accounts.sort_by(|a, b| a.0.cmp(&b.0));
    units.sort_by(|a, b| a.0.cmp(&b.0));
    preflight::judge_exclusions(list, &accounts, &units)
}

/// With a discovery policy: the administrator's own automated discovery in each region.
async fn probe_discovery(scope: Scope<'_>) -> Vec<Check> {
    let app = scope.app;
    if !app.config.discovery.is_set() {
        return Vec::new();
    }
    let policy = &app.config.discovery;
    let keeps_off = !(policy.off_ou_ids.is_empty() && policy.off_account_ids.is_empty());
    join_all(app.config.regions.iter().map(|region| async move {
        let read = app.macie.discovery_configuration(region).await;
        preflight::judge_discovery_setup(region, &read, keeps_off)
    }))
    .await
}

/// One line for each failing check, and one for the whole.
fn log_report(report: &CheckReport) {
    for check in report.checks.iter().filter(|c| c.status == Status::Fail) {
        tracing::warn!(
            check = check.label(),
            detail = check.detail,
            fix = check.fix.as_deref().unwrap_or(""),
            "check failed"
        );
    }
    tracing::info!(
        ok = report.ok,
        checks = report.checks.len(),
        failing = report.failing.len(),
        "check done"
    );
}
