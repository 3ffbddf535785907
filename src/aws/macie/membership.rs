//! Macie's members: their listing, their association, invitation, tagging and removal, and, inside
//! a member account, its own Macie and its invitation.

use crate::aws::macie_words::{read_words, says_no_member};
use crate::aws::sdk::found;
use crate::domain::{
    Account, AccountId, DiscoveryMark, Mark, MemberArn, MemberListing, MemberStatus, Membership,
    OffReason, Page, Pages, Region, Unprocessed, email_digest, read_all,
};
use crate::error::Error;
use aws_sdk_macie2::operation::list_members::{ListMembersError, ListMembersOutput};
use aws_sdk_macie2::types::{AccountDetail, MacieStatus, RelationshipStatus};
use aws_smithy_async::future::pagination_stream::PaginationStream;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use std::num::NonZeroI64;

use super::{
    DISCOVERY_TAG, ENROLLMENT_TAG, InvitationOptions, Macie, MemberSession, SERVICE, macie_error,
    read_found,
};

/// ListMembers returns at most 25 members a page.
const MEMBERS_PER_PAGE: i32 = 25;

/// The pages of ListMembers in a region, as (account, membership).
pub struct MemberPages(
    PaginationStream<Result<ListMembersOutput, SdkError<ListMembersError, HttpResponse>>>,
    Region,
);

impl Pages for MemberPages {
    type Item = (AccountId, Membership);

    async fn next_page(&mut self) -> Option<Result<Page<(AccountId, Membership)>, Error>> {
        let page = self.0.next().await?;
        let region = &self.1;
        Some(
            page.map(|output| Page {
                items: (output.members().iter())
                    .filter_map(|member| to_member(member, region))
                    .collect(),
                more: output.next_token().is_some_and(|token| !token.is_empty()),
            })
            .map_err(|error| macie_error("ListMembers", error)),
        )
    }
}

/// A member in our types; `None` for an entry without a valid account ID.
fn to_member(
    member: &aws_sdk_macie2::types::Member,
    region: &Region,
) -> Option<(AccountId, Membership)> {
    let account_id = AccountId::parse(member.account_id()?, "Macie Member.accountId").ok()?;
    let arn = member
        .arn()
        .map(|arn| MemberArn::read(arn, region, &account_id));
    let membership = to_membership(
        member.relationship_status(),
        member.invited_at(),
        member.tags(),
        arn,
        member.email(),
    );
    Some((account_id, membership))
}

/// A relationship status, invitation time, tags, ARN and (as a digest) email, as GetMember and
/// ListMembers return them.
fn to_membership(
    status: Option<&RelationshipStatus>,
    invited_at: Option<&aws_smithy_types::DateTime>,
    tags: Option<&std::collections::HashMap<String, String>>,
    arn: Option<MemberArn>,
    email: Option<&str>,
) -> Membership {
    let (key, value) = ENROLLMENT_TAG;
    Membership {
        status: to_member_status(status),
        invited_at: invited_at
            .map(aws_smithy_types::DateTime::secs)
            .and_then(NonZeroI64::new),
        mark: match tags {
            None => Mark::Unread,
            Some(tags) if tags.get(key).is_some_and(|v| v == value) => Mark::Enrolled,
            Some(_) => Mark::Unmarked,
        },
        arn,
        email_digest: email.map(email_digest),
        discovery_mark: match tags {
            None => DiscoveryMark::Unread,
            Some(tags) => tags
                .get(DISCOVERY_TAG)
                .and_then(|value| OffReason::parse(value))
                .map_or(DiscoveryMark::NotOurs, DiscoveryMark::Ours),
        },
    }
}

/// Our status from the SDK's; a value this build does not know keeps its name.
pub(crate) fn to_member_status(status: Option<&RelationshipStatus>) -> MemberStatus {
    MemberStatus::parse(status.map_or("", RelationshipStatus::as_str))
}

impl Macie {
    /// The account's relationship with this administrator in `region`; `None` when it has none,
    /// in any of the ways Macie says so (the table of its words, `macie_words`).
    pub async fn membership(
        &self,
        region: &Region,
        account_id: &AccountId,
    ) -> Result<Option<Membership>, Error> {
        let asked = self
            .client(region)
            .get_member()
            .id(account_id.as_str())
            .send()
            .await;
        let output = read_found(found(SERVICE, "GetMember", asked, |error| {
            says_no_member(error.code(), error.message())
        }))?;
        Ok(output.map(|output| {
            to_membership(
                output.relationship_status(),
                output.invited_at(),
                output.tags(),
                (output.arn()).map(|arn| MemberArn::read(arn, region, account_id)),
                output.email(),
            )
        }))
    }

    /// Every account associated with this administrator in `region`, in any relationship status.
    pub async fn list_members(&self, region: &Region) -> Result<MemberListing, Error> {
        let listed: Vec<(AccountId, Membership)> = read_all(self.member_pages(region)).await?;
        Ok(MemberListing::from_listed(listed))
    }

    /// The members of this administrator in `region`, in every relationship status, a page of
    /// ListMembers (25 members) at a time.
    pub fn member_pages(&self, region: &Region) -> MemberPages {
        MemberPages(
            self.client(region)
                .list_members()
                .only_associated("false")
                .into_paginator()
                .page_size(MEMBERS_PER_PAGE)
                .send(),
            region.clone(),
        )
    }

    /// Associates the account with this administrator in `region` (CreateMember). Under the
    /// organization's delegated Macie administrator, this alone adds an account of the
    /// organization as an Enabled member (Macie user guide, "Managing multiple Macie accounts with
    /// AWS Organizations"); the email is still sent, as the model requires it.
    pub async fn associate(&self, region: &Region, account: &Account) -> Result<(), Error> {
        let detail = AccountDetail::builder()
            .account_id(account.id.as_str())
            .email(&account.email)
            .build();
        let (key, value) = ENROLLMENT_TAG;
        self.client(region)
            .create_member()
            .account(detail)
            .tags(key, value)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| macie_error("CreateMember", error))
    }

    /// Ends the account's membership in `region` (DisassociateMember). A member that is gone
    /// already, in any of the ways Macie says so, is no error.
    pub async fn disassociate(&self, region: &Region, account_id: &AccountId) -> Result<(), Error> {
        let asked = self
            .client(region)
            .disassociate_member()
            .id(account_id.as_str())
            .send()
            .await;
        read_found(found(SERVICE, "DisassociateMember", asked, |error| {
            says_no_member(error.code(), error.message())
        }))
        .map(|_| ())
    }

    /// Deletes the account's member record in `region` (DeleteMember): it no longer counts against
    /// Macie's quota of members. A member that is gone already is no error.
    pub async fn delete_member(
        &self,
        region: &Region,
        account_id: &AccountId,
    ) -> Result<(), Error> {
        let asked = self
            .client(region)
            .delete_member()
            .id(account_id.as_str())
            .send()
            .await;
        read_found(found(SERVICE, "DeleteMember", asked, |error| {
            says_no_member(error.code(), error.message())
        }))
        .map(|_| ())
    }

    /// Marks the member `arn` as enrolled by this function (TagResource with [`ENROLLMENT_TAG`]):
    /// an existing deployment's adoption of the members it enrolled before the tag existed.
    pub async fn tag_enrolled(&self, region: &Region, arn: &str) -> Result<(), Error> {
        let (key, value) = ENROLLMENT_TAG;
        self.client(region)
            .tag_resource()
            .resource_arn(arn)
            .tags(key, value)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| macie_error("TagResource", error))
    }

    /// Resumes a `Paused` member of the organization: UpdateMemberSession with `ENABLED`, which the
    /// delegated Macie administrator may do for a member of its organization (Macie API reference,
    /// "Member Status"); an administrator by invitation cannot.
    pub async fn resume_member(
        &self,
        region: &Region,
        account_id: &AccountId,
    ) -> Result<(), Error> {
        self.client(region)
            .update_member_session()
            .id(account_id.as_str())
            .status(MacieStatus::Enabled)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| macie_error("UpdateMemberSession", error))
    }

    /// Sends one CreateInvitations call (at most 50 accounts) and returns the unprocessed accounts.
    pub async fn invite(
        &self,
        region: &Region,
        account_ids: &[AccountId],
        options: InvitationOptions<'_>,
    ) -> Result<Vec<Unprocessed>, Error> {
        let output = self
            .client(region)
            .create_invitations()
            .set_account_ids(Some(
                account_ids
                    .iter()
                    .map(|id| id.as_str().to_owned())
                    .collect(),
            ))
            .disable_email_notification(options.disable_email_notification)
            .set_message(options.message.map(str::to_owned))
            .send()
            .await
            .map_err(|error| macie_error("CreateInvitations", error))?;
        Ok(output
            .unprocessed_accounts()
            .iter()
            .filter_map(|entry| {
                // Only the accounts of this call can be unprocessed; anything else is not ours to report.
                let account_id = account_ids
                    .iter()
                    .find(|id| Some(id.as_str()) == entry.account_id())?;
                let error_code = entry.error_code().map_or("Unknown", |code| code.as_str());
                let error_message = entry.error_message().unwrap_or_default();
                Some(Unprocessed {
                    account_id: account_id.clone(),
                    error_code: error_code.to_owned(),
                    error_message: error_message.to_owned(),
                    meaning: read_words(error_code, error_message),
                })
            })
            .collect())
    }
}

impl MemberSession {
    /// Resumes the member account's own Macie, suspended (`Paused`): UpdateMacieSession with
    /// `ENABLED`, as an account resumes its own Macie (Macie API reference, "Account
    /// Administration").
    pub async fn resume_macie(&self) -> Result<(), Error> {
        self.client
            .update_macie_session()
            .status(MacieStatus::Enabled)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| macie_error("UpdateMacieSession", error))
    }

    /// Enables Macie in the member account; ConflictException means it already is.
    pub async fn enable_macie(&self) -> Result<(), Error> {
        let enabled = self.client.enable_macie().send().await;
        read_found(found(SERVICE, "EnableMacie", enabled, |error| {
            error.is_conflict_exception()
        }))
        .map(|_| ())
    }

    /// The ID of the pending invitation that `administrator` sent; `None` when there is none (yet).
    /// An invitation from any other administrator, inside the organization or outside it, is never
    /// taken.
    pub async fn invitation_from(
        &self,
        administrator: &AccountId,
    ) -> Result<Option<String>, Error> {
        let mut pages = self
            .client
            .list_invitations()
            .into_paginator()
            .page_size(MEMBERS_PER_PAGE)
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| macie_error("ListInvitations", error))?;
            let pending = page.invitations().iter().find(|invitation| {
                invitation
                    .relationship_status()
                    .is_some_and(|status| status.as_str() == "Invited")
                    && invitation.account_id() == Some(administrator.as_str())
            });
            if let Some(invitation_id) = pending.and_then(|invitation| invitation.invitation_id()) {
                return Ok(Some(invitation_id.to_owned()));
            }
        }
        Ok(None)
    }

    /// Accepts the invitation: the account becomes an Enabled member of `administrator`.
    pub async fn accept(
        &self,
        administrator: &AccountId,
        invitation_id: &str,
    ) -> Result<(), Error> {
        self.client
            .accept_invitation()
            .administrator_account_id(administrator.as_str())
            .invitation_id(invitation_id)
            .send()
            .await
            .map(|_| ())
            .map_err(|error| macie_error("AcceptInvitation", error))
    }
}
