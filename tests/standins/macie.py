"""A local stand-in for Amazon Macie (macie2), speaking the REST-JSON protocol of its service model.

It keeps members per region (taken from the SigV4 credential scope), records every call, and injects
faults on request. A call is the administrator's unless `caller_of` (given to `serve`) names another
account for its access key: that account acts as a member, enabling Macie, listing its invitations
and accepting them (EnableMacie, ListInvitations, AcceptInvitation); each call records its caller. Control endpoints live under /_standin/ and are not part of Macie's API:

  POST /_standin/faults   {"rules": [...], "latencyMs": 20}   replace the fault rules (see FaultRule)
  POST /_standin/members  {"region", "accountId", "email", "relationshipStatus", "tags"}   seed a member
                          ({"regions": [...], "accountIds": [...]}: many, in bulk)
  GET  /_standin/calls    every call so far: operation, region, caller, method, path, query, body, status, response
  GET  /_standin/members  the members by region and account
  POST /_standin/account  {"region", "macieStatus": "ENABLED" | "PAUSED" | null, "administrator": {"accountId",
                          "relationshipStatus"} | null, "delegated": {"autoEnable", "maxAccountLimitReached"} | null}
                          the administrator's own Macie in a region (default: ENABLED, nobody's member, and not the
                          organization's delegated Macie administrator), as GetMacieSession, GetAdministratorAccount
                          and DescribeOrganizationConfiguration answer it. Where it is the delegated administrator,
                          CreateMember adds an account as Macie documents for Organizations: Enabled at once, with
                          no invitation and a null email, and CreateInvitations reports such a member unprocessed
  POST /_standin/dialect  {"noMember": ..., "invitationLagSeconds": [created, verifying], "listingTags": false}   how Macie words its
                          answers (see State.set_dialect); the default is real Macie's, as clients tested against
                          real accounts meet it
  POST /_standin/discovery {"region", "administrator": "ENABLED" | "DISABLED", "autoEnableOrganizationMembers": "ALL" |
                          "NEW" | "NONE" (default ALL), "accountId", "status": "ENABLED" |
                          "DISABLED", "costs": {"AUTOMATED_SENSITIVE_DATA_DISCOVERY": "12.50", ...}}   automated sensitive data
                          discovery: the administrator's own status in a region (default ENABLED), a member's status (default
                          ENABLED, as when the administrator enables it for all its accounts), and a member's month-to-date
                          estimated costs by usage type, as GetUsageStatistics answers them (default none)
  POST /_standin/reset    forget members, calls and faults, and go back to the default dialect
"""

import json
import re
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
CREDENTIAL_REGION = re.compile(r"Credential=[^/]+/[0-9]{8}/([a-z0-9-]+)/macie2/aws4_request")
# Statuses that ListMembers returns when onlyAssociated is not "false".
ASSOCIATED = {"Enabled", "Paused", "Invited", "EmailVerificationInProgress"}
# Statuses of a member that DeleteMember refuses until it is disassociated (our reading; see delete_member).
DISASSOCIATE_FIRST = ASSOCIATED | {"AccountSuspended"}
ERROR_STATUS = {
    "ValidationException": 400,
    "ServiceQuotaExceededException": 402,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ConflictException": 409,
    "ThrottlingException": 429,
    "InternalServerException": 500,
    # CreateMember and CreateInvitations fail for a while with this code (terraform-provider-aws retries
    # both on it for up to 4 minutes: internal/service/macie2, errCodeClientError); its status is unverified.
    "ClientError": 400,
}

# GetMember of an account that is not a member: the ways real Macie says so (terraform-provider-aws
# internal/service/macie2/member.go, isMemberNotFoundError).
NO_MEMBER = {
    "ResourceNotFoundException": "The request failed because the specified resource wasn't found: member {account}",
    "ValidationException": "The request failed because the specified account is not associated with your account.",
    "ValidationException2": "The request failed because {account} is not an associated member of account {administrator}.",
    "ConflictException": "The request failed because no member accounts are associated with your account.",
}
# What every call of the administrator answers in a region where its own Macie is off (terraform-provider-aws
# account.go; DataBiosphere/azul#5779).
MACIE_OFF = "Macie is not enabled."
# What DescribeOrganizationConfiguration answers an account that is not the organization's delegated Macie
# administrator (or whose Macie is off), as clients tested against real accounts meet it (awslabs/sra-verify's scan
# of a real organization; terraform-provider-aws isOrganizationConfigurationNotFoundError matches the same words).
NOT_DELEGATED = ("AccessDeniedException", "The request failed because you must be the Macie administrator for an "
                 "organization to perform this operation")
# By default an invitation shows after 1 s as Created, then 1 s as EmailVerificationInProgress, as real Macie's
# pass through both (terraform-provider-aws waitMemberInvited waits up to 5 minutes): scaled down for tests.
DEFAULT_LAG = (1.0, 1.0)


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


class MacieError(Exception):
    def __init__(self, error_type, message, status=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status or ERROR_STATUS[error_type]


class State:
    """Members per region, the call log and the fault rules, shared by the server's threads."""

    def __init__(self, administrator_account_id):
        self.administrator = administrator_account_id
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.members = {}  # region -> accountId -> member
        self.enabled = set()  # (accountId, region) of the member accounts that enabled Macie
        self.calls = []
        self.rules = []
        self.latency_ms = 0
        self.member_quota = None
        self.sessions = {}  # region -> the administrator's own Macie status there (absent: ENABLED; None: not enabled)
        self.administrator_of = {}  # region -> the administrator's own administrator there, if any
        self.delegated = {}  # region -> the organization's configuration where the administrator is the delegated one
        self.discovery_administrator = {}  # region -> the administrator's own automated-discovery status (absent: ENABLED)
        self.discovery_auto_enable = {}  # region -> autoEnableOrganizationMembers (absent: ALL, Macie's default)
        # (caller, region) -> each account's own settings: frequency, publication, repository (Macie's defaults)
        self.settings = {}
        self.costs = {}  # (region, accountId) -> usage type -> estimated cost, a string of US dollars
        self.no_member = "rotate"
        self.lag = DEFAULT_LAG
        self.listing_tags = True

    def set_dialect(self, spec):
        """How Macie words its answers.

        noMember: how GetMember says that an account is not a member: one of NO_MEMBER's keys, or "rotate"
          (the default) for each in turn by account ID, so that every test meets every form
        invitationLagSeconds: [created, verifying]: how long an invited member shows as Created, then as
          EmailVerificationInProgress, before Invited (and only then in the member's ListInvitations)
        listingTags: whether ListMembers fills in each member's `tags` (default true, as botocore's Member
          shape allows); false answers them only from GetMember, where terraform-provider-aws reads them, since
          no source shows that ListMembers fills them in
        """
        if "noMember" in spec:
            if spec["noMember"] not in ("rotate", *NO_MEMBER):
                raise ValueError(f"noMember must be rotate or one of {sorted(NO_MEMBER)}")
            self.no_member = spec["noMember"]
        if "invitationLagSeconds" in spec:
            created, verifying = spec["invitationLagSeconds"]
            self.lag = (float(created), float(verifying))
        if "listingTags" in spec:
            self.listing_tags = bool(spec["listingTags"])

    def no_member_error(self, account_id):
        form = self.no_member
        if form == "rotate":
            forms = sorted(NO_MEMBER)
            form = forms[int(account_id) % len(forms)] if account_id.isdigit() else forms[0]
        message = NO_MEMBER[form].format(account=account_id, administrator=self.administrator)
        return MacieError(form.rstrip("2"), message)

    def status(self, member):
        """The member's relationship status now: an invitation passes through Created and
        EmailVerificationInProgress for the dialect's lag before it is Invited."""
        sent = member.get("invitationSentAt")
        if sent is not None:
            elapsed = time.monotonic() - sent
            created, verifying = self.lag
            if elapsed < created:
                return "Created"
            if elapsed < created + verifying:
                return "EmailVerificationInProgress"
            member["relationshipStatus"] = "Invited"
            del member["invitationSentAt"]
        return member["relationshipStatus"]

    def set_faults(self, spec):
        """Rules, tried in order; each matches an operation ("*" for any), optionally a region and accounts.

        kind "error": the call fails with errorType (ThrottlingException, InternalServerException, ...)
        kind "http429": the call fails with a bare 429 and no error type
        kind "discoveryError": BatchUpdateAutomatedDiscoveryAccounts reports the rule's accountIds in errors with
          errorCode (ACCOUNT_PAUSED by default)
        kind "unprocessed": CreateInvitations reports the rule's accountIds as unprocessed with errorCode
        count: how many matching calls (or, for "unprocessed", invitations) it applies to; absent = always
        id: only calls whose path names this member (GetMember, DisassociateMember, DeleteMember)

        memberQuota: the members (in any status) an administrator may have in a region, as Macie's quota of
        1,000 members by invitation; CreateMember past it fails with ServiceQuotaExceededException (402).
        """
        self.rules = [dict(rule) for rule in spec.get("rules", [])]
        self.latency_ms = int(spec.get("latencyMs", 0))
        self.member_quota = spec.get("memberQuota")

    def take_rule(self, operation, region, kinds, account_id=None, path_id=None):
        for rule in self.rules:
            if rule.get("id") not in (None, path_id):
                continue
            if rule.get("kind", "error") not in kinds:
                continue
            if rule.get("operation", "*") not in ("*", operation):
                continue
            if rule.get("region") not in (None, region):
                continue
            if account_id is not None and account_id not in rule.get("accountIds", []):
                continue
            if "count" in rule:
                if rule["count"] <= 0:
                    continue
                rule["count"] -= 1
            return rule
        return None

    def region_members(self, region):
        return self.members.setdefault(region, {})

    def member_arn(self, region, account_id):
        return f"arn:aws:macie2:{region}:{self.administrator}:member/{account_id}"

    def describe(self, region, member, with_tags=True):
        described = {
            "accountId": member["accountId"],
            "administratorAccountId": self.administrator,
            "arn": self.member_arn(region, member["accountId"]),
            "email": member["email"],
            "invitedAt": member.get("invitedAt"),
            "relationshipStatus": self.status(member),
            "tags": member.get("tags", {}) if with_tags else None,
            "updatedAt": member["updatedAt"],
        }
        return {key: value for key, value in described.items() if value is not None}

    # The operations of the Macie2 model that the stand-in serves.

    def create_member(self, region, query, body):
        account = body.get("account") or {}
        account_id, email = account.get("accountId"), account.get("email")
        if not isinstance(account_id, str) or not ACCOUNT_ID.match(account_id):
            raise MacieError("ValidationException", "account.accountId must be a 12-digit account ID")
        if not isinstance(email, str) or "@" not in email:
            raise MacieError("ValidationException", "account.email must be an email address")
        if account_id == self.administrator:
            raise MacieError("ValidationException", "The administrator account can't be a member")
        members = self.region_members(region)
        member = members.get(account_id)
        if member is None and self.member_quota is not None and len(members) >= self.member_quota:
            raise MacieError(
                "ServiceQuotaExceededException",
                "The request failed because fulfilling the request would exceed one or more service quotas for your account.",
            )
        if region in self.delegated and (member is None or self.status(member) in ("Created", "Removed", "Resigned")):
            # Through Organizations: enabled and associated at once, no invitation; Member.email is null for
            # such a member (botocore macie2, the doc of Member.email).
            tags = dict((member or {}).get("tags") or {})
            tags.update(body.get("tags") or {})
            members[account_id] = {
                "accountId": account_id,
                "email": None,
                "relationshipStatus": "Enabled",
                "viaOrganizations": True,
                "tags": tags,
                "updatedAt": now(),
            }
        elif member is None or self.status(member) in ("Removed", "Resigned", "EmailVerificationFailed"):
            # A member whose email could not be verified takes the email it is associated with again (our reading:
            # Macie documents no other way to correct it), and is invited again.
            members[account_id] = {
                "accountId": account_id,
                "email": email,
                "relationshipStatus": "Created",
                "tags": body.get("tags") or {},
                "updatedAt": now(),
            }
        # A new member's automated discovery as Macie's autoEnableOrganizationMembers makes it: on with ALL or
        # NEW, off with NONE; a member from before keeps its own.
        if self.discovery_auto_enable.get(region, "ALL") == "NONE" and "discovery" not in members[account_id]:
            members[account_id]["discovery"] = "DISABLED"
        return {"arn": self.member_arn(region, account_id)}

    def get_member(self, region, account_id):
        member = self.region_members(region).get(account_id)
        if member is None:
            raise self.no_member_error(account_id)
        return self.describe(region, member)

    def list_members(self, region, query):
        max_results = int(query.get("maxResults", ["25"])[0])
        if not 1 <= max_results <= 25:
            raise MacieError("ValidationException", "maxResults must be between 1 and 25")
        only_associated = query.get("onlyAssociated", ["true"])[0] != "false"
        members = sorted(self.region_members(region).values(), key=lambda m: m["accountId"])
        if only_associated:
            members = [m for m in members if self.status(m) in ASSOCIATED]
        start = int(query.get("nextToken", ["0"])[0])
        page = members[start : start + max_results]
        response = {"members": [self.describe(region, m, with_tags=self.listing_tags) for m in page]}
        if start + max_results < len(members):
            response["nextToken"] = str(start + max_results)
        return response

    def disassociate_member(self, region, account_id):
        member = self.region_members(region).get(account_id)
        if member is None:
            raise self.no_member_error(account_id)
        member.pop("invitationSentAt", None)
        member["relationshipStatus"] = "Removed"
        member["updatedAt"] = now()
        return {}

    def delete_member(self, region, account_id):
        members = self.region_members(region)
        member = members.get(account_id)
        if member is None:
            raise self.no_member_error(account_id)
        if self.status(member) in DISASSOCIATE_FIRST:
            # Our reading: members are disassociated before they are deleted (gruntwork-io/cloud-nuke's
            # macie member removal, "Members must be disassociated before they can be deleted").
            raise MacieError("ValidationException", "The request failed because the member account is still associated with your account. Disassociate it first.")
        del members[account_id]
        return {}

    def member_of_arn(self, region, arn):
        prefix = f"arn:aws:macie2:{region}:{self.administrator}:member/"
        member = self.region_members(region).get(arn[len(prefix):]) if arn.startswith(prefix) else None
        if member is None:
            raise MacieError("ResourceNotFoundException", f"The request failed because the specified resource wasn't found: {arn}")
        return member

    def untag_resource(self, region, arn, query):
        keys = query.get("tagKeys")
        if not keys:
            raise MacieError("ValidationException", "tagKeys must name at least one key")
        member = self.member_of_arn(region, arn)
        for key in keys:
            member.setdefault("tags", {}).pop(key, None)
        return {}

    def tag_resource(self, region, arn, body):
        prefix = f"arn:aws:macie2:{region}:{self.administrator}:member/"
        tags = body.get("tags")
        if not isinstance(tags, dict) or not tags:
            raise MacieError("ValidationException", "tags must be a non-empty map")
        member = self.region_members(region).get(arn[len(prefix):]) if arn.startswith(prefix) else None
        if member is None:
            raise MacieError("ResourceNotFoundException", f"The request failed because the specified resource wasn't found: {arn}")
        member.setdefault("tags", {}).update(tags)
        return {}

    def create_invitations(self, region, query, body):
        account_ids = body.get("accountIds")
        if not isinstance(account_ids, list) or not account_ids:
            raise MacieError("ValidationException", "accountIds must be a non-empty list")
        message = body.get("message")
        if message is not None and len(message) > 80:
            raise MacieError("ValidationException", "message must be at most 80 characters")
        members = self.region_members(region)
        unprocessed = []
        for account_id in account_ids:
            rule = self.take_rule("CreateInvitations", region, {"unprocessed"}, account_id)
            member = members.get(account_id)
            if rule is not None:
                unprocessed.append({
                    "accountId": account_id,
                    "errorCode": rule.get("errorCode", "InternalError"),
                    "errorMessage": rule.get("errorMessage", "An internal error occurred. Try again."),
                })
            elif member is not None and member.get("viaOrganizations"):
                unprocessed.append({
                    "accountId": account_id,
                    "errorCode": "ClientError",
                    "errorMessage": "The request failed because the account is already a member of your organization.",
                })
            elif member is None:
                unprocessed.append({
                    "accountId": account_id,
                    "errorCode": "ClientError",
                    "errorMessage": "The request failed because the account isn't associated with your account. Add the account as a member first.",
                })
            else:
                # Each invitation is an email to the account's root user: counted, so tests can tell a second one.
                member["invitations"] = member.get("invitations", 0) + 1
                member["relationshipStatus"] = "Created"
                member["invitedAt"] = member["updatedAt"] = now()
                member["invitationId"] = uuid.uuid4().hex
                member["invitationSentAt"] = time.monotonic()
                self.status(member)
        return {"unprocessedAccounts": unprocessed}

    # Automated sensitive data discovery (botocore macie2: GetAutomatedDiscoveryConfiguration,
    # ListAutomatedDiscoveryAccounts, BatchUpdateAutomatedDiscoveryAccounts, GetUsageStatistics).

    def get_automated_discovery_configuration(self, region):
        return {"status": self.discovery_administrator.get(region, "ENABLED"),
                "autoEnableOrganizationMembers": self.discovery_auto_enable.get(region, "ALL"),
                "classificationScopeId": "standin",
                "disabledAt": None, "firstEnabledAt": "2026-01-01T00:00:00Z",
                "lastUpdatedAt": "2026-01-01T00:00:00Z", "sensitivityInspectionTemplateId": "standin"}

    def discovery_members(self, region):
        """The administrator's members that automated discovery covers: those associated (Enabled or Paused)."""
        members = self.region_members(region).values()
        return sorted((m for m in members if self.status(m) in ("Enabled", "Paused")), key=lambda m: m["accountId"])

    def list_automated_discovery_accounts(self, region, query):
        max_results = int(query.get("maxResults", ["25"])[0])
        if not 1 <= max_results <= 25:
            raise MacieError("ValidationException", "maxResults must be between 1 and 25")
        wanted = query.get("accountIds")
        if wanted is not None and len(wanted) > 50:
            raise MacieError("ValidationException", "accountIds takes at most 50 account IDs")
        members = [m for m in self.discovery_members(region) if wanted is None or m["accountId"] in wanted]
        start = int(query.get("nextToken", ["0"])[0])
        page = members[start : start + max_results]
        response = {"items": [{"accountId": m["accountId"], "status": m.get("discovery", "ENABLED")} for m in page]}
        if start + max_results < len(members):
            response["nextToken"] = str(start + max_results)
        return response

    def batch_update_automated_discovery_accounts(self, region, body):
        accounts = body.get("accounts")
        if not isinstance(accounts, list) or not accounts:
            raise MacieError("ValidationException", "accounts must be a non-empty list")
        members = self.region_members(region)
        errors = []
        for update in accounts:
            account_id, status = update.get("accountId"), update.get("status")
            if status not in ("ENABLED", "DISABLED"):
                raise MacieError("ValidationException", "status must be ENABLED or DISABLED")
            rule = self.take_rule("BatchUpdateAutomatedDiscoveryAccounts", region, {"discoveryError"}, account_id)
            member = members.get(account_id)
            if rule is not None:
                errors.append({"accountId": account_id, "errorCode": rule.get("errorCode", "ACCOUNT_PAUSED")})
            elif member is None or self.status(member) not in ("Enabled", "Paused"):
                errors.append({"accountId": account_id, "errorCode": "ACCOUNT_NOT_FOUND"})
            elif self.status(member) == "Paused":
                errors.append({"accountId": account_id, "errorCode": "ACCOUNT_PAUSED"})
            else:
                member["discovery"] = status
        return {"errors": errors}

    def get_usage_statistics(self, region, body):
        if body.get("timeRange", "PAST_30_DAYS") not in ("MONTH_TO_DATE", "PAST_30_DAYS"):
            raise MacieError("ValidationException", "timeRange must be MONTH_TO_DATE or PAST_30_DAYS")
        max_results = int(body.get("maxResults") or 50)
        accounts = sorted({account for (where, account) in self.costs if where == region}
                          | {m["accountId"] for m in self.discovery_members(region)})
        start = int(body.get("nextToken") or 0)
        records = []
        for account_id in accounts[start : start + max_results]:
            costs = self.costs.get((region, account_id), {})
            usage = [{"currency": "USD", "estimatedCost": cost, "serviceLimit": {"isServiceLimited": False,
                      "unit": "TERABYTES", "value": 0}, "type": kind} for kind, cost in sorted(costs.items())]
            records.append({"accountId": account_id, "usage": usage})
        response = {"records": records, "timeRange": body.get("timeRange", "PAST_30_DAYS")}
        if start + max_results < len(accounts):
            response["nextToken"] = str(start + max_results)
        return response

    def describe_organization_configuration(self, region):
        configuration = self.delegated.get(region)
        if configuration is None:
            raise MacieError(*NOT_DELEGATED)
        return {"autoEnable": bool(configuration.get("autoEnable", False)),
                "maxAccountLimitReached": bool(configuration.get("maxAccountLimitReached", False))}

    # What any account calls about itself.

    def get_macie_session(self, caller, region):
        if caller == self.administrator:
            status = self.sessions.get(region, "ENABLED")
        else:
            # A member account's Macie is on where it enabled it, or where it is an Enabled (or Paused) member.
            member = self.region_members(region).get(caller)
            associated = member is not None and self.status(member) in ("Enabled", "Paused")
            status = "ENABLED" if (caller, region) in self.enabled or associated else None
        if status is None:
            # As Macie answers where it is not enabled (an AccessDeniedException, not a 404).
            raise MacieError("AccessDeniedException", MACIE_OFF)
        frequency = self.own_settings(caller, region)["frequency"]
        return {"status": status, "findingPublishingFrequency": frequency,
                "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-01T00:00:00Z"}

    def get_administrator_account(self, caller, region):
        self.get_macie_session(caller, region)
        administrator = self.administrator_of.get(region) if caller == self.administrator else None
        if administrator is None:
            return {}
        return {"administrator": {"accountId": administrator["accountId"], "invitationId": "standin",
                                  "invitedAt": "2026-01-01T00:00:00Z",
                                  "relationshipStatus": administrator.get("relationshipStatus", "Enabled")}}

    # What a member account calls, in its own region.

    def own_settings(self, caller, region):
        return self.settings.setdefault((caller, region), {
            "frequency": "FIFTEEN_MINUTES", "publishPolicyFindings": True, "publishClassificationFindings": False,
            "repository": None})

    def get_findings_publication_configuration(self, caller, region):
        own = self.own_settings(caller, region)
        return {"securityHubConfiguration": {"publishPolicyFindings": own["publishPolicyFindings"],
                                             "publishClassificationFindings": own["publishClassificationFindings"]}}

    def put_findings_publication_configuration(self, caller, region, body):
        hub = body.get("securityHubConfiguration") or {}
        if not isinstance(hub.get("publishPolicyFindings"), bool) or not isinstance(hub.get("publishClassificationFindings"), bool):
            # botocore requires both members.
            raise MacieError("ValidationException", "securityHubConfiguration needs publishPolicyFindings and publishClassificationFindings")
        own = self.own_settings(caller, region)
        own["publishPolicyFindings"] = hub["publishPolicyFindings"]
        own["publishClassificationFindings"] = hub["publishClassificationFindings"]
        return {}

    def get_classification_export_configuration(self, caller, region):
        repository = self.own_settings(caller, region)["repository"]
        return {"configuration": {"s3Destination": repository} if repository else {}}

    def put_classification_export_configuration(self, caller, region, body):
        destination = (body.get("configuration") or {}).get("s3Destination") or {}
        if not destination.get("bucketName") or not destination.get("kmsKeyArn"):
            raise MacieError("ValidationException", "s3Destination needs bucketName and kmsKeyArn")
        self.own_settings(caller, region)["repository"] = {k: v for k, v in destination.items() if v is not None}
        return {"configuration": {"s3Destination": destination}}

    def update_macie_session(self, caller, region, body):
        """An account sets its own Macie: its status (a member resumes or suspends it: Macie API reference,
        "Account Administration") and its findingPublishingFrequency."""
        frequency = body.get("findingPublishingFrequency")
        if frequency is not None:
            if frequency not in ("FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"):
                raise MacieError("ValidationException", "findingPublishingFrequency must be FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS")
            self.own_settings(caller, region)["frequency"] = frequency
        status = body.get("status")
        if status not in ("ENABLED", "PAUSED", None):
            raise MacieError("ValidationException", "status must be ENABLED or PAUSED")
        member = self.region_members(region).get(caller)
        if member is not None and status is not None and self.status(member) in ("Enabled", "Paused"):
            member["relationshipStatus"] = "Enabled" if status == "ENABLED" else "Paused"
            member["updatedAt"] = now()
        return {}

    def update_member_session(self, region, account_id, body):
        """The delegated Macie administrator resumes (or suspends) a member of its organization ("Member Status");
        an administrator by invitation is refused, as Macie refuses it the organization's configuration."""
        if region not in self.delegated:
            raise MacieError(*NOT_DELEGATED)
        status = body.get("status")
        if status not in ("ENABLED", "PAUSED"):
            raise MacieError("ValidationException", "status must be ENABLED or PAUSED")
        member = self.region_members(region).get(account_id)
        if member is None:
            raise self.no_member_error(account_id)
        member["relationshipStatus"] = "Enabled" if status == "ENABLED" else "Paused"
        member["updatedAt"] = now()
        return {}

    def enable_macie(self, caller, region, body):
        if body.get("status", "ENABLED") not in ("ENABLED", "PAUSED"):
            raise MacieError("ValidationException", "status must be ENABLED or PAUSED")
        if (caller, region) in self.enabled:
            raise MacieError("ConflictException", "Macie is already enabled for this account")
        self.enabled.add((caller, region))
        return {}

    def list_invitations(self, caller, region, query):
        member = self.region_members(region).get(caller)
        if member is None or self.status(member) != "Invited":
            return {"invitations": []}
        return {"invitations": [{
            "accountId": self.administrator,
            "invitationId": member["invitationId"],
            "invitedAt": member["invitedAt"],
            "relationshipStatus": "Invited",
        }]}

    def accept_invitation(self, caller, region, body):
        administrator, invitation = body.get("administratorAccountId"), body.get("invitationId")
        if not isinstance(administrator, str) or not isinstance(invitation, str):
            raise MacieError("ValidationException", "administratorAccountId and invitationId are required")
        member = self.region_members(region).get(caller)
        if administrator != self.administrator or member is None or member.get("invitationId") != invitation \
                or self.status(member) != "Invited":
            raise MacieError("ResourceNotFoundException", "The request failed because the specified invitation wasn't found")
        if (caller, region) not in self.enabled:
            raise MacieError("AccessDeniedException", "Macie isn't enabled for this account in this Region")
        member["relationshipStatus"] = "Enabled"
        member["updatedAt"] = now()
        return {}


ROUTES = [
    ("POST", re.compile(r"^/members$"), "CreateMember"),
    ("GET", re.compile(r"^/members/(?P<id>[^/]+)$"), "GetMember"),
    ("GET", re.compile(r"^/members$"), "ListMembers"),
    ("POST", re.compile(r"^/members/disassociate/(?P<id>[^/]+)$"), "DisassociateMember"),
    ("DELETE", re.compile(r"^/members/(?P<id>[^/]+)$"), "DeleteMember"),
    ("POST", re.compile(r"^/tags/(?P<arn>.+)$"), "TagResource"),
    ("DELETE", re.compile(r"^/tags/(?P<arn>.+)$"), "UntagResource"),
    ("POST", re.compile(r"^/invitations$"), "CreateInvitations"),
    ("POST", re.compile(r"^/macie$"), "EnableMacie"),
    ("PATCH", re.compile(r"^/macie$"), "UpdateMacieSession"),
    ("GET", re.compile(r"^/findings-publication-configuration$"), "GetFindingsPublicationConfiguration"),
    ("PUT", re.compile(r"^/findings-publication-configuration$"), "PutFindingsPublicationConfiguration"),
    ("GET", re.compile(r"^/classification-export-configuration$"), "GetClassificationExportConfiguration"),
    ("PUT", re.compile(r"^/classification-export-configuration$"), "PutClassificationExportConfiguration"),
    ("PATCH", re.compile(r"^/macie/members/(?P<id>[^/]+)$"), "UpdateMemberSession"),
    ("GET", re.compile(r"^/invitations$"), "ListInvitations"),
    ("POST", re.compile(r"^/invitations/accept$"), "AcceptInvitation"),
    ("GET", re.compile(r"^/macie$"), "GetMacieSession"),
    ("GET", re.compile(r"^/administrator$"), "GetAdministratorAccount"),
    ("GET", re.compile(r"^/admin/configuration$"), "DescribeOrganizationConfiguration"),
    ("GET", re.compile(r"^/automated-discovery/configuration$"), "GetAutomatedDiscoveryConfiguration"),
    ("GET", re.compile(r"^/automated-discovery/accounts$"), "ListAutomatedDiscoveryAccounts"),
    ("PATCH", re.compile(r"^/automated-discovery/accounts$"), "BatchUpdateAutomatedDiscoveryAccounts"),
    ("POST", re.compile(r"^/usage/statistics$"), "GetUsageStatistics"),
]
# The operations a member account calls; ANY_ACCOUNT_OPERATIONS any account; the others are the administrator's.
MEMBER_OPERATIONS = {"EnableMacie", "ListInvitations", "AcceptInvitation"}
# Each account's own Macie settings (botocore macie2): any account calls them about itself.
ANY_ACCOUNT_OPERATIONS = {"GetMacieSession", "GetAdministratorAccount", "UpdateMacieSession",
                          "GetFindingsPublicationConfiguration", "PutFindingsPublicationConfiguration",
                          "GetClassificationExportConfiguration", "PutClassificationExportConfiguration"}


def make_handler(state, caller_of):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as separate writes: without TCP_NODELAY, Nagle's algorithm and the
        # peer's delayed ACK would hold the body back for up to 40 ms.
        disable_nagle_algorithm = True

        def log_message(self, *args):
            pass

        def read_body(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            return json.loads(raw) if raw else {}

        def send_json(self, status, payload, error_type=None):
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            if error_type:
                self.send_header("x-amzn-ErrorType", error_type)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            self.dispatch("GET")

        def do_POST(self):
            self.dispatch("POST")

        def do_DELETE(self):
            self.dispatch("DELETE")

        def do_PATCH(self):
            self.dispatch("PATCH")

        def do_PUT(self):
            self.dispatch("PUT")

        def dispatch(self, method):
            url = urlsplit(self.path)
            try:
                body = self.read_body()
            except ValueError:
                return self.send_json(400, {"message": "The request body is not JSON"}, "ValidationException")
            if url.path.startswith("/_standin/"):
                return self.control(method, url.path, body)
            query = parse_qs(url.query)
            match = next(((op, m) for (verb, pattern, op) in ROUTES if verb == method for m in [pattern.match(url.path)] if m), None)
            scope = CREDENTIAL_REGION.search(self.headers.get("Authorization", ""))
            region = scope.group(1) if scope else None
            access_key = self.headers.get("Authorization", "").split("Credential=")[-1].split("/")[0] or None
            call = {
                "operation": match[0] if match else None,
                "region": region,
                "method": method,
                "path": url.path,
                "query": {k: v[0] for k, v in query.items()},
                "body": body,
                "accessKeyId": access_key,
                "caller": (caller_of(access_key) if access_key else None) or state.administrator,
            }
            status, payload, error_type = self.serve(call, match, query, body)
            call["status"] = status
            call["response"] = payload
            with state.lock:
                state.calls.append(call)
            self.send_json(status, payload, error_type)

        def serve(self, call, match, query, body):
            if state.latency_ms:
                time.sleep(state.latency_ms / 1000)
            if match is None:
                return 404, {"message": f"No Macie operation at {call['method']} {call['path']}"}, "ResourceNotFoundException"
            if call["region"] is None:
                return 403, {"message": "Missing or malformed SigV4 Authorization header"}, "AccessDeniedException"
            operation, path_match = match
            with state.lock:
                path_id = path_match.groupdict().get("id")
                rule = state.take_rule(operation, call["region"], {"error", "http429"}, path_id=path_id)
                if rule is not None and rule.get("kind") == "http429":
                    return 429, {"message": "Too Many Requests"}, None
                if rule is not None:
                    error_type = rule.get("errorType", "ThrottlingException")
                    return ERROR_STATUS[error_type], {"message": rule.get("message", f"Injected {error_type}")}, error_type
                caller = call["caller"]
                if operation not in ANY_ACCOUNT_OPERATIONS and (operation in MEMBER_OPERATIONS) != (caller != state.administrator):
                    return 403, {"message": f"{operation} is not for account {caller} in this stand-in"}, "AccessDeniedException"
                if caller == state.administrator and state.sessions.get(call["region"], "ENABLED") is None:
                    return 403, {"message": MACIE_OFF}, "AccessDeniedException"
                try:
                    if operation == "GetMacieSession":
                        return 200, state.get_macie_session(caller, call["region"]), None
                    if operation == "GetAdministratorAccount":
                        return 200, state.get_administrator_account(caller, call["region"]), None
                    if operation == "UpdateMacieSession":
                        return 200, state.update_macie_session(caller, call["region"], body), None
                    if operation == "GetFindingsPublicationConfiguration":
                        return 200, state.get_findings_publication_configuration(caller, call["region"]), None
                    if operation == "PutFindingsPublicationConfiguration":
                        return 200, state.put_findings_publication_configuration(caller, call["region"], body), None
                    if operation == "GetClassificationExportConfiguration":
                        return 200, state.get_classification_export_configuration(caller, call["region"]), None
                    if operation == "PutClassificationExportConfiguration":
                        return 200, state.put_classification_export_configuration(caller, call["region"], body), None
                    if operation == "UpdateMemberSession":
                        return 200, state.update_member_session(call["region"], path_match.group("id"), body), None
                    if operation == "EnableMacie":
                        return 200, state.enable_macie(caller, call["region"], body), None
                    if operation == "ListInvitations":
                        return 200, state.list_invitations(caller, call["region"], query), None
                    if operation == "AcceptInvitation":
                        return 200, state.accept_invitation(caller, call["region"], body), None
                    if operation == "GetAutomatedDiscoveryConfiguration":
                        return 200, state.get_automated_discovery_configuration(call["region"]), None
                    if operation == "ListAutomatedDiscoveryAccounts":
                        return 200, state.list_automated_discovery_accounts(call["region"], query), None
                    if operation == "BatchUpdateAutomatedDiscoveryAccounts":
                        return 200, state.batch_update_automated_discovery_accounts(call["region"], body), None
                    if operation == "GetUsageStatistics":
                        return 200, state.get_usage_statistics(call["region"], body), None
                    if operation == "DescribeOrganizationConfiguration":
                        return 200, state.describe_organization_configuration(call["region"]), None
                    if operation == "CreateMember":
                        return 200, state.create_member(call["region"], query, body), None
                    if operation == "GetMember":
                        return 200, state.get_member(call["region"], path_match.group("id")), None
                    if operation == "ListMembers":
                        return 200, state.list_members(call["region"], query), None
                    if operation == "DisassociateMember":
                        return 200, state.disassociate_member(call["region"], path_match.group("id")), None
                    if operation == "DeleteMember":
                        return 200, state.delete_member(call["region"], path_match.group("id")), None
                    if operation == "TagResource":
                        arn = unquote(path_match.group("arn"))
                        return 200, state.tag_resource(call["region"], arn, body), None
                    if operation == "UntagResource":
                        arn = unquote(path_match.group("arn"))
                        return 200, state.untag_resource(call["region"], arn, query), None
                    return 200, state.create_invitations(call["region"], query, body), None
                except MacieError as error:
                    return error.status, {"message": error.message}, error.error_type

        def control(self, method, path, body):
            with state.lock:
                if method == "GET" and path == "/_standin/calls":
                    return self.send_json(200, {"calls": state.calls})
                if method == "GET" and path == "/_standin/members":
                    for members in state.members.values():
                        for member in members.values():
                            state.status(member)
                    return self.send_json(200, state.members)
                if method == "POST" and path == "/_standin/dialect":
                    try:
                        state.set_dialect(body)
                    except (ValueError, TypeError) as error:
                        return self.send_json(400, {"message": str(error)})
                    return self.send_json(200, {})
                if method == "POST" and path == "/_standin/faults":
                    state.set_faults(body)
                    return self.send_json(200, {})
                if method == "POST" and path == "/_standin/members":
                    # One member, or in bulk: every account of accountIds in every region of regions.
                    regions = body.get("regions") or [body["region"]]
                    account_ids = body.get("accountIds") or [body["accountId"]]
                    for region in regions:
                        members = state.region_members(region)
                        status = body.get("relationshipStatus", "Enabled")
                        # A member seeded Created was associated and never invited, unless invitedAt says when.
                        invited_at = body.get("invitedAt", None if status == "Created" else now())
                        for account_id in account_ids:
                            members[account_id] = {
                                "accountId": account_id,
                                "email": body.get("email"),  # none unless given: never read as a corrected email
                                "relationshipStatus": status,
                                "invitationId": uuid.uuid4().hex,
                                "invitedAt": invited_at,
                                "tags": body.get("tags") or {},
                                "updatedAt": now(),
                            }
                    return self.send_json(200, {})
                if method == "POST" and path == "/_standin/account":
                    region = body["region"]
                    if "macieStatus" in body:
                        state.sessions[region] = body["macieStatus"]
                    if "administrator" in body:
                        state.administrator_of[region] = body["administrator"]
                    if "delegated" in body:
                        if body["delegated"] is None:
                            state.delegated.pop(region, None)
                        else:
                            state.delegated[region] = dict(body["delegated"])
                    return self.send_json(200, {})
                if method == "POST" and path == "/_standin/discovery":
                    region = body["region"]
                    if "administrator" in body:
                        state.discovery_administrator[region] = body["administrator"]
                    if "autoEnableOrganizationMembers" in body:
                        state.discovery_auto_enable[region] = body["autoEnableOrganizationMembers"]
                    if "status" in body:
                        state.region_members(region)[body["accountId"]]["discovery"] = body["status"]
                    if "costs" in body:
                        state.costs[(region, body["accountId"])] = dict(body["costs"])
                    return self.send_json(200, {})
                if method == "POST" and path == "/_standin/reset":
                    state.reset()
                    return self.send_json(200, {})
            return self.send_json(404, {"message": f"No control endpoint {method} {path}"})

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # Clients that close their pooled connections when a test ends are no error of the stand-in.
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def serve(host="127.0.0.1", port=0, administrator_account_id="123456789012", caller_of=lambda access_key: None):
    """Starts the stand-in in a background thread and returns the server (server.server_address).
    `caller_of(access_key_id)` names the account whose credentials signed a call (None: the administrator's)."""
    server = Server((host, port), make_handler(State(administrator_account_id), caller_of))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
