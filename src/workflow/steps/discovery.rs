//! Automated sensitive data discovery as policy, in one region: the administrator's own status and
//! Macie's `autoEnableOrganizationMembers`, the members' statuses (and, where the decision hangs on
//! it, their tags), then the changes the policy calls for, each remembered on the member by its
//! tag; under DRY_RUN, the plan. Never the organization-wide setting.

use std::collections::{BTreeMap, BTreeSet};

use crate::aws::macie::DISCOVERY_ACCOUNTS_PER_ASK;

use crate::domain::{AccountId, Decided, Discovery, DiscoveryMark, MemberArn, Region};
use crate::error::Error;
use crate::outcome::{Outcome, Report};
use crate::policy::discovery::{
    DiscoveryChange, DiscoveryFacts, DiscoveryTally, Marks, judge_discovery,
    judge_discovery_refusal, needs_mark,
};
use crate::policy::failure;
use crate::workflow::scope::Scope;

/// BatchUpdateAutomatedDiscoveryAccounts is sent at most this many changes a call: the model
/// names no maximum, and 50 is what ListAutomatedDiscoveryAccounts takes at once.
const CHANGES_PER_CALL: usize = 50;

/// What applying the policy in a region did.
pub(crate) struct DiscoveryDone {
    /// A report per member changed (or planned to be), or refused.
    pub reports: Vec<Report>,
    pub tally: DiscoveryTally,
}

/// A member the policy may touch: its ARN (which its tag names) and what its tags say.
#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub arn: Option<MemberArn>,
    pub mark: DiscoveryMark,
}

/// The members, and what is known for them.
pub(crate) struct Members {
    pub members: BTreeMap<AccountId, Member>,
    /// The region's every Enabled member of the organization (a reconcile): every status listed.
    /// Else just these, which an event made (or found) Enabled: their statuses asked by ID.
    pub whole: bool,
    /// The members over the cost limit this month, all regions summed, where a reconcile read the
    /// costs; `None`: not read.
    pub over_limit: Option<BTreeSet<AccountId>>,
    /// Decisions that a retry carries, made again as they were.
    pub decided: BTreeMap<AccountId, Decided>,
}

/// Applies the policy to `members` in `region`, each report made with `report`. `Ok(None)`: no
/// policy is set, or no member to apply it to, and no call was made.
///
/// # Errors
/// The outcome of a read that failed (the administrator's configuration, the members' statuses,
/// the units' accounts), for the caller to report on the subject it retries.
pub(crate) async fn apply_discovery(
    scope: Scope<'_>,
    region: &Region,
    mut members: Members,
    report: impl Fn(&AccountId, Outcome) -> Report,
) -> Result<Option<DiscoveryDone>, Outcome> {
    let (app, policy) = (scope.app, &scope.app.config.discovery);
    if !policy.is_set() || members.members.is_empty() {
        return Ok(None);
    }
    let read = |error: Error| failure::outcome_in(&error, region);
    let configuration = app.macie.discovery_configuration(region).await;
    let configuration = configuration.map_err(read)?;
    let mut tally = DiscoveryTally::of(&configuration);
    if configuration.status == Discovery::Off {
        tally.note = Some(
            "the administrator's own automated discovery is off here, so it is off for every \
             member: nothing is turned on or off",
        );
        let reports = Vec::new();
        return Ok(Some(DiscoveryDone { reports, tally }));
    }
    let units = scope.accounts_under_off_units().await?;
    tally.units_not_read = units.unread.clone();
    let ids: BTreeSet<AccountId> = members.members.keys().cloned().collect();
    let statuses = read_statuses(scope, region, &ids, members.whole);
    let statuses = statuses.await.map_err(read)?;
    let facts = DiscoveryFacts {
        under_off_units: &units.accounts,
        statuses: &statuses,
        over_limit: members.over_limit.as_ref(),
        auto_enable: &configuration.auto_enable,
        decided: &members.decided,
    };
    let marks = list_marks(&members.members);
    let unread = ids
        .iter()
        .filter(|id| needs_mark(policy, &facts, &marks, id));
    let unread: Vec<AccountId> = unread.cloned().collect();
    let marks = match unread.is_empty() {
        true => marks,
        false => {
            read_discovery_marks(scope, region, &mut members.members, unread).await;
            list_marks(&members.members)
        }
    };
    let plan = judge_discovery(policy, &facts, &marks);
    (tally.left_off, tally.left_off_note) = (plan.left_off, plan.left_off_note);
    let changes = Changes {
        region,
        members: &members.members,
        report: &report,
    };
    let reports = changes.make(scope, plan.changes).await;
    Ok(Some(DiscoveryDone { reports, tally }))
}

/// What each member's tags say of its discovery.
fn list_marks(members: &BTreeMap<AccountId, Member>) -> Marks {
    let marks = members.iter();
    marks
        .map(|(id, member)| (id.clone(), member.mark))
        .collect()
}

/// The members' statuses: the region's whole listing (a page per 25), or asked by ID (50 a call).
async fn read_statuses(
    scope: Scope<'_>,
    region: &Region,
    ids: &BTreeSet<AccountId>,
    whole: bool,
) -> Result<BTreeMap<AccountId, Discovery>, Error> {
    let macie = &scope.app.macie;
    if whole {
        return macie.discovery_statuses(region, None).await;
    }
    let ids: Vec<AccountId> = ids.iter().cloned().collect();
    let mut statuses = BTreeMap::new();
    for chunk in ids.chunks(DISCOVERY_ACCOUNTS_PER_ASK) {
        statuses.extend(macie.discovery_statuses(region, Some(chunk)).await?);
    }
    Ok(statuses)
}

/// Reads, with GetMember, the discovery tags that the listing did not carry, of the `candidates`
/// (the members whose decision hangs on them); one that cannot be read stays unread, and its
/// member is left as it is.
async fn read_discovery_marks(
    scope: Scope<'_>,
    region: &Region,
    members: &mut BTreeMap<AccountId, Member>,
    candidates: Vec<AccountId>,
) {
    let macie = &scope.app.macie;
    let read = |id: AccountId| async move {
        let found = macie.membership(region, &id).await;
        (id, found.ok().flatten())
    };
    let read = scope.each(candidates, read, |id| (id, None)).await;
    for (id, membership) in read {
        if let (Some(member), Some(membership)) = (members.get_mut(&id), membership) {
            member.mark = membership.discovery_mark;
            member.arn = member.arn.take().or(membership.arn);
        }
    }
}

/// The changes of one region, and how each is reported.
struct Changes<'a, R: Fn(&AccountId, Outcome) -> Report> {
    region: &'a Region,
    members: &'a BTreeMap<AccountId, Member>,
    report: &'a R,
}

impl<R: Fn(&AccountId, Outcome) -> Report> Changes<'_, R> {
    /// Makes the changes, 50 a call, at most MAX_CALLS_IN_FLIGHT calls at once and none past the
    /// deadline; under DRY_RUN, plans them with no call. A change that fails carries its decision
    /// into its retry.
    async fn make(&self, scope: Scope<'_>, changes: Vec<DiscoveryChange>) -> Vec<Report> {
        if scope.app.config.dry_run {
            return changes.iter().map(|change| self.plan(change)).collect();
        }
        let batches: Vec<Vec<DiscoveryChange>> = changes
            .chunks(CHANGES_PER_CALL)
            .map(<[DiscoveryChange]>::to_vec)
            .collect();
        let batch = |batch: Vec<DiscoveryChange>| self.make_batch(scope, batch);
        let deferred = |batch: Vec<DiscoveryChange>| {
            let deferred = batch
                .iter()
                .map(|change| self.failed(change, Outcome::Deferred));
            deferred.collect::<Vec<_>>()
        };
        let made = scope.each(batches, batch, deferred).await;
        made.into_iter().flatten().collect()
    }

    fn plan(&self, change: &DiscoveryChange) -> Report {
        let action = match change.decided.status {
            Discovery::On => "discovery on",
            Discovery::Off => "discovery off",
        };
        let actions = vec![action];
        (self.report)(&change.account_id, Outcome::Planned { actions })
    }

    /// One batch: the discovery tag written first where a member goes off (so that what the
    /// function turned off is never forgotten), then the statuses in one call, then the tag
    /// removed where one comes back on.
    async fn make_batch(&self, scope: Scope<'_>, batch: Vec<DiscoveryChange>) -> Vec<Report> {
        let mut reports = Vec::new();
        let mut ready = Vec::new();
        for change in batch {
            match self.tag(scope, &change, Discovery::Off).await {
                Ok(()) => ready.push(change),
                Err(outcome) => reports.push(self.failed(&change, outcome)),
            }
        }
        let set: Vec<(AccountId, Discovery)> = ready
            .iter()
            .filter(|change| change.set)
            .map(|change| (change.account_id.clone(), change.decided.status))
            .collect();
        let macie = &scope.app.macie;
        let result = match set.is_empty() {
            true => Ok(Vec::new()),
            false => macie.set_discovery(self.region, &set).await,
        };
        for change in ready {
            reports.push(match &result {
                Err(error) => self.failed(&change, failure::outcome_in(error, self.region)),
                Ok(refused) => match refused.iter().find(|(id, _)| id == &change.account_id) {
                    Some((_, code)) => {
                        (self.report)(&change.account_id, judge_discovery_refusal(code))
                    }
                    None => match self.tag(scope, &change, Discovery::On).await {
                        Ok(()) => (self.report)(
                            &change.account_id,
                            Outcome::DiscoverySet {
                                status: change.decided.status,
                                reason: change.reason.clone(),
                            },
                        ),
                        Err(outcome) => self.failed(&change, outcome),
                    },
                },
            });
        }
        reports
    }

    /// Writes (a member going off) or removes (one coming on, where its tag says or may say this
    /// function turned it off) the discovery tag, at the step `when` of the change.
    async fn tag(
        &self,
        scope: Scope<'_>,
        change: &DiscoveryChange,
        when: Discovery,
    ) -> Result<(), Outcome> {
        if change.decided.status != when || (when == Discovery::On && !change.untag) {
            return Ok(());
        }
        let macie = &scope.app.macie;
        let id = &change.account_id;
        let given = self.members.get(id).and_then(|member| member.arn.as_ref());
        let arn = given.map(|arn| arn.text(self.region, id));
        let Some(arn) = arn.or_else(|| Some(self.region.member_arn(scope.own_account?, id))) else {
            return Err(Outcome::failed(
                "the member's ARN is unknown (Macie gave none, and the function's own account is \
                 not known), so the discovery tag cannot be written; the next reconcile reads it",
            ));
        };
        let tagged = match change.decided.reason {
            Some(reason) => macie.tag_discovery_off(self.region, &arn, reason).await,
            None => macie.untag_discovery_off(self.region, &arn).await,
        };
        tagged.map_err(|error| failure::outcome_in(&error, self.region))
    }

    /// The report of a change that failed, carrying its decision into its retry.
    fn failed(&self, change: &DiscoveryChange, outcome: Outcome) -> Report {
        let mut report = (self.report)(&change.account_id, outcome);
        report.origin.discovery = Some(change.decided);
        report
    }
}
