//! Macie's own settings as policy, in the administrator's account: each region's frequency,
//! Security Hub publication and results repository read (only what is set), and what differs
//! written, each change an outcome; under DRY_RUN, the plan.

use futures_util::future::join_all;

use crate::aws::macie::{MemberSession, Settings};
use crate::config::Baseline;
use crate::domain::{AccountId, MacieSettings, Membership, Origin, Region, Subject};
use crate::error::Error;
use crate::outcome::{Outcome, Report, Run};
use crate::policy::baseline::{BaselineChange, judge_baseline};
use crate::policy::coverage::BaselineAudit;
use crate::policy::failure;
use crate::workflow::scope::Scope;

/// What to do when Macie refuses the repository: the policies it needs (Macie user guide, "Storing
/// and retaining sensitive data discovery results").
const REPOSITORY_ADVICE: &str = "the bucket policy must let macie.amazonaws.com (macie.REGION.amazonaws.com \
     in an opt-in region) s3:GetBucketLocation on the bucket and s3:PutObject under the prefix, and \
     the key policy let it kms:GenerateDataKey and kms:Encrypt, each with aws:SourceAccount this \
     account and aws:SourceArn arn:aws:macie2:REGION:ACCOUNT:export-configuration:*; the key is a \
     customer managed symmetric key in the bucket's region";

/// At most this many members a region are audited a run, rolling through the organization.
const AUDITED_PER_RUN: usize = 20;

/// Applies the baseline in every region of the run, the administrator's and, through the member
/// role, that of each region's `audit` members; its reports added to `run`. Each region's audit.
pub(crate) async fn apply_baseline_everywhere(
    scope: Scope<'_>,
    regions: &[Region],
    audit: Vec<Vec<AccountId>>,
    run: &mut Run,
    origin: &Origin,
) -> Vec<Option<BaselineAudit>> {
    let applied = join_all(
        regions
            .iter()
            .map(|region| apply_baseline(scope, region, origin)),
    );
    run.reports.extend(applied.await.into_iter().flatten());
    let audits = regions
        .iter()
        .zip(audit)
        .map(|(region, members)| audit_members(scope, region, members, origin));
    let mut audited = Vec::new();
    for (reports, audit) in join_all(audits).await {
        run.reports.extend(reports);
        audited.push(audit);
    }
    audited
}

/// Whether a reconcile audits members: with the member role and a members' baseline.
pub(crate) fn audits_members(scope: Scope<'_>) -> bool {
    let config = &scope.app.config;
    config.accept_role_name.is_some() && member_part(&config.baseline).is_set()
}

/// The members of a region to audit this run: with the member role and a members' baseline, up
/// to [`AUDITED_PER_RUN`] of its `Enabled` members of the organization (`enabled`), a different
/// window each day (`now`, seconds since the epoch), so that every member is audited in turn.
pub(crate) fn choose_audited(
    scope: Scope<'_>,
    enabled: &[(&AccountId, &Membership)],
    now: i64,
) -> Vec<AccountId> {
    if !audits_members(scope) {
        return Vec::new();
    }
    let day = usize::try_from(now / 86_400).unwrap_or_default();
    let start = (day * AUDITED_PER_RUN) % enabled.len().max(1);
    let count = AUDITED_PER_RUN.min(enabled.len());
    let window = enabled.iter().cycle().skip(start).take(count);
    window.map(|(id, _)| (*id).clone()).collect()
}

/// Audits `members` in `region` through the member role: their own frequency and publication,
/// written where they differ; a member the role cannot reach is reported so, never failed.
async fn audit_members(
    scope: Scope<'_>,
    region: &Region,
    members: Vec<AccountId>,
    origin: &Origin,
) -> (Vec<Report>, Option<BaselineAudit>) {
    let role = scope.app.config.accept_role_name.as_deref();
    let Some(role) = role.filter(|_| !members.is_empty()) else {
        return (Vec::new(), None);
    };
    let audit_one = |id: AccountId| async move {
        let outcomes = match scope.app.macie.member_session(region, &id, role).await {
            Ok(session) => Ok(apply_member_baseline(scope, &session).await),
            Err(error) => Err(Outcome::skipped(format!(
                "not reachable: the member role {role} cannot be assumed in it ({error}); deploy \
                 member-role.yaml there to hold its own settings to the baseline"
            ))),
        };
        (id, Some(outcomes))
    };
    // Past the deadline a member is not audited this run: the next one's window comes round.
    let later = |id| (id, None);
    let audited = scope.each(members, audit_one, later).await;
    let mut audit = BaselineAudit::default();
    let mut reports = Vec::new();
    for (id, outcomes) in audited {
        let Some(outcomes) = outcomes else {
            continue;
        };
        audit.audited += 1;
        let outcomes = outcomes.unwrap_or_else(|unreachable| {
            audit.not_reachable += 1;
            vec![unreachable]
        });
        audit.meeting += usize::from(outcomes.is_empty());
        let report = |outcome| Report::account(&id, Some(region), outcome, origin);
        reports.extend(outcomes.into_iter().map(report));
    }
    (reports, Some(audit))
}

/// The administrator's settings in `region` held to the baseline: nothing, and no call, where no
/// setting is given. A read that fails for now goes on as the region's reconcile.
async fn apply_baseline(scope: Scope<'_>, region: &Region, origin: &Origin) -> Vec<Report> {
    let wanted = &scope.app.config.baseline;
    if !wanted.is_set() {
        return Vec::new();
    }
    let settings = scope.app.macie.settings(region);
    let current = match read_settings(&settings, wanted).await {
        Ok(current) => current,
        Err(error) => {
            let outcome = failure::outcome_in(&error, region);
            return vec![Report::new(
                Subject::Reconcile,
                Some(region.clone()),
                outcome,
                origin,
            )];
        }
    };
    let report = |outcome| {
        Report::new(
            Subject::Administrator,
            Some(region.clone()),
            outcome,
            origin,
        )
    };
    let mut reports = Vec::new();
    for (change, from, to) in judge_baseline(wanted, &current) {
        if scope.app.config.dry_run {
            reports.push(report(Outcome::Planned {
                actions: vec![change.action()],
            }));
            continue;
        }
        reports.push(match write(&settings, &change).await {
            Ok(()) => report(changed(&change, &from, &to)),
            Err(error) if failure::is_transient(&error) => {
                let outcome = failure::outcome_of(&error);
                Report::new(Subject::Reconcile, Some(region.clone()), outcome, origin)
            }
            // Refused: named with the fix, settled; the next reconcile tries again.
            Err(error) => report(Outcome::skipped(say_refusal(&change, &error))),
        });
    }
    reports
}

/// What was read of the settings that `wanted` sets: one read for each, at once.
async fn read_settings(settings: &Settings, wanted: &Baseline) -> Result<MacieSettings, Error> {
    let publication = wanted.publish_policy_findings.is_some()
        || wanted.publish_sensitive_data_findings.is_some();
    let (frequency, publication, repository) = tokio::join!(
        async {
            match wanted.frequency {
                Some(_) => settings.frequency().await,
                None => Ok(None),
            }
        },
        async {
            match publication {
                true => settings.publication().await.map(Some),
                false => Ok(None),
            }
        },
        async {
            match wanted.repository {
                Some(_) => settings.repository().await.map(Some),
                None => Ok(None),
            }
        },
    );
    Ok(MacieSettings {
        frequency: frequency?,
        publication: publication?,
        repository: repository?,
    })
}

/// Writes one setting.
async fn write(settings: &Settings, change: &BaselineChange) -> Result<(), Error> {
    match change {
        BaselineChange::Frequency(frequency) => settings.set_frequency(*frequency).await,
        BaselineChange::Publication(policy, sensitive) => {
            settings.set_publication((*policy, *sensitive)).await
        }
        BaselineChange::Repository(repository) => settings.set_repository(repository).await,
    }
}

/// A change written, as its outcome.
fn changed(change: &BaselineChange, from: &str, to: &str) -> Outcome {
    let setting = change.setting();
    let change = format!("{setting}: {from} -> {to}");
    Outcome::BaselineSet { setting, change }
}

/// A refused write, in words, with the fix.
fn say_refusal(change: &BaselineChange, error: &Error) -> String {
    let fix = match change {
        BaselineChange::Repository(_) => REPOSITORY_ADVICE,
        _ => {
            "allow the call to the function's role (ReadOwnMacie), in every region of MacieRegions"
        }
    };
    format!(
        "the administrator's {} was not set: {error}. {fix}",
        change.setting()
    )
}

/// What of the baseline a member sets itself: its frequency and publication (its results go to the
/// administrator's repository).
fn member_part(baseline: &Baseline) -> Baseline {
    Baseline {
        repository: None,
        ..baseline.clone()
    }
}

/// Inside a member account (its session open, to accept an invitation or resume its Macie): its
/// frequency and publication held to the baseline; an outcome for each change made, or refused.
pub(crate) async fn apply_member_baseline(
    scope: Scope<'_>,
    session: &MemberSession,
) -> Vec<Outcome> {
    let wanted = member_part(&scope.app.config.baseline);
    if !wanted.is_set() || scope.app.config.dry_run {
        return Vec::new();
    }
    let settings = session.settings();
    let current = match read_settings(&settings, &wanted).await {
        Ok(current) => current,
        Err(error) => {
            return vec![Outcome::skipped(format!(
                "the member's baseline was not read: {error}"
            ))];
        }
    };
    let mut outcomes = Vec::new();
    for (change, from, to) in judge_baseline(&wanted, &current) {
        outcomes.push(match write(&settings, &change).await {
            Ok(()) => changed(&change, &from, &to),
            Err(error) => Outcome::skipped(format!(
                "the member's {} was not set: {error}. The member role must allow \
                 macie2:UpdateMacieSession and macie2:PutFindingsPublicationConfiguration \
                 (member-role.yaml)",
                change.setting()
            )),
        });
    }
    outcomes
}
