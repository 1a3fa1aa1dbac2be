"""Who may do what (DESIGN §3): the roles, the named capabilities and the role groups, in one place.

The web views, the JSON API, the engine services, the templates (`can("…")`), the CLI and the route × role
matrix test read this module; nothing else spells a role list or checks a role by its literal name (the
matrix module's tests grep engine/ and webui/ for one). A *capability* is a name for something a user may do
("view every application", "start an assignment request") and the roles that hold it; `allows(user,
capability)` answers for one user.

Route-level capabilities decide whether a role may open a page at all. Object checks (is this *your*
application, your unit's request, your engagement?) stay in the engine services, which are told by the
"sees every …" capabilities below which roles skip the ownership test. The matrix test derives its
expected answers (own object → allowed, another unit's / another expert's → 403 unless the role sees all,
wrong role → 403, anonymous → login) from the same capabilities.

Role names that are data rather than checks (the role granted on admission or with a group's lead, the
recipients of a notification, who proposed an exit) are the role constants below, never string literals.

Standard library only (importable by engine, webui and tests alike).
"""

from __future__ import annotations

from dataclasses import dataclass

# --- roles (BPMN lane names; DESIGN §3) -------------------------------------------------------------------

APPLICANT = "applicant"
EXPERT = "expert"
TALENT_CENTER = "talent_center"
QUALITY_DIVISION = "quality_division"
BUREAU_LEADER = "bureau_leader"
USING_UNIT = "using_unit"
GROUP_LEADER = "group_leader"
PROCESS_OWNER = "process_owner"
AUDITOR = "auditor"
ADMIN = "admin"
SYSTEM = "system"  # the engine's own actor (timers, scheduled jobs); never a person's role

ROLES = (APPLICANT, EXPERT, TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER, USING_UNIT, GROUP_LEADER,
         PROCESS_OWNER, AUDITOR, ADMIN)
"""Every role a person can hold, in the reference order (engine.experts.reference.ROLES adds `system`)."""

# --- role groups (each used by more than one capability or by the engine itself) -------------------------

OVERSIGHT_ROLES = (TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER, AUDITOR, ADMIN)
"""Read every evaluation, exit and renewal record and open any expert's record (`is_overseer`)."""

APPLICATION_STAFF_ROLES = (TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER, AUDITOR, ADMIN)
"""Staff who read any application and download any attachment (applicants: their own)."""

FULL_ROLES = (TALENT_CENTER, AUDITOR)
"""See every assignment request with the drawn experts' names (Art 13: the others who see every request see
the names sealed)."""

PROCESS_VIEW_ROLES = (PROCESS_OWNER, AUDITOR)
"""Read process definitions, versions and drafts (only the process owner edits them)."""

DIGEST_ROLES = (TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER, GROUP_LEADER)
"""Reviewers who receive the daily 待办日报 e-mail of their new and overdue tasks (opt-out on 我的账号)."""

UNIT_SCOPED_ROLES = frozenset({USING_UNIT})
"""Roles that act for their own unit: their lanes' tasks go only to users of the task's unit (engine.core.inbox)
and they read their unit's requests, draws and process instances (VIEW_OWN_UNIT)."""

REQUEST_ACCESS = ("full", "sealed", "expert")
"""How much of an assignment request a viewer sees (engine.assignment.queries.access): names, sealed names
(Art 13), or the viewer's own engagement only. Access levels, not roles."""


# --- capabilities -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Capability:
    """Something a user may do, and the roles that may do it."""

    name: str
    roles: frozenset[str]
    doc: str = ""

    def __repr__(self) -> str:
        return f"Capability({self.name})"


CAPABILITIES: dict[str, Capability] = {}


def _cap(name: str, roles, doc: str) -> Capability:
    unknown = set(roles) - set(ROLES)
    assert not unknown, f"{name}: unknown roles {unknown}"
    capability = Capability(name, frozenset(roles), doc)
    CAPABILITIES[name] = capability
    return capability


# Admission (Art 6–8)
SUBMIT_APPLICATION = _cap("SUBMIT_APPLICATION", (APPLICANT,), "submit a 推荐表 online in an open call")
ENTER_PAPER_APPLICATION = _cap("ENTER_PAPER_APPLICATION", (TALENT_CENTER,), "enter a paper 推荐表")
INVITE_EXPERT = _cap("INVITE_EXPERT", (TALENT_CENTER, QUALITY_DIVISION), "nominate by directed invitation")
START_ADMISSION = _cap("START_ADMISSION", (APPLICANT, TALENT_CENTER),
                       "start admission_public (online by the applicant, paper by talent_center)")
MANAGE_CALLS = _cap("MANAGE_CALLS", (TALENT_CENTER, QUALITY_DIVISION), "open the public calls (征集) page")
PUBLISH_CALL = _cap("PUBLISH_CALL", (TALENT_CENTER,), "publish a public call")
VIEW_APPLICATIONS = _cap("VIEW_APPLICATIONS", APPLICATION_STAFF_ROLES,
                         "read every application (others: their own or those they entered)")
VIEW_ATTACHMENTS = _cap("VIEW_ATTACHMENTS", APPLICATION_STAFF_ROLES,
                        "download every attachment (others: their uploads and their applications')")

# Inbox
BULK_APPROVE = _cap("BULK_APPROVE", (BUREAU_LEADER,), "批量批准 leader_approval tasks")
BULK_RECORD_DOCUMENT = _cap("BULK_RECORD_DOCUMENT", (TALENT_CENTER,), "批量登记发文文号 record_document tasks")

# Assignment (Art 12–13)
VIEW_ASSIGNMENT = _cap("VIEW_ASSIGNMENT", (USING_UNIT, EXPERT, TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER,
                                           AUDITOR, ADMIN), "open the assignment overview")
START_ASSIGNMENT = _cap("START_ASSIGNMENT", (USING_UNIT,), "request experts (用人申请) for the user's unit")
VIEW_ALL_REQUESTS = _cap("VIEW_ALL_REQUESTS", FULL_ROLES + (QUALITY_DIVISION, BUREAU_LEADER, ADMIN),
                         "read every unit's requests and draws, names sealed unless SEE_DRAWN_NAMES (units: their "
                         "own; experts: where engaged)")
SEE_DRAWN_NAMES = _cap("SEE_DRAWN_NAMES", FULL_ROLES,
                       "see drawn experts' names and engagements of every unit (Art 13 sealing)")
REPORT_CONFLICT = _cap("REPORT_CONFLICT", (USING_UNIT, TALENT_CENTER),
                       "report a conflict after the draw (units: on their own requests)")
REPORT_ANY_CONFLICT = _cap("REPORT_ANY_CONFLICT", (TALENT_CENTER,), "report a conflict on any unit's request")
VIEW_DELEGATIONS = _cap("VIEW_DELEGATIONS", (BUREAU_LEADER, QUALITY_DIVISION, AUDITOR, ADMIN),
                        "see the leaders' authorizations of the quality division")
GRANT_DELEGATION = _cap("GRANT_DELEGATION", (BUREAU_LEADER,), "authorize / revoke (Art 13)")
VIEW_OWN_UNIT = _cap("VIEW_OWN_UNIT", UNIT_SCOPED_ROLES,
                     "read the own unit's requests, draws and process instances (the object's unit must be the "
                     "user's)")

# Experts
VIEW_EXPERTS = _cap("VIEW_EXPERTS", (TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER, USING_UNIT, GROUP_LEADER,
                                     AUDITOR, ADMIN, PROCESS_OWNER), "search the expert pool")
VIEW_EVERY_EXPERT = _cap("VIEW_EVERY_EXPERT", OVERSIGHT_ROLES, "open any expert's record (experts: their own)")
EXPERT_SELF_SERVICE = _cap("EXPERT_SELF_SERVICE", (EXPERT,), "own record, contact data, declarations, withdrawal")

# Evaluation, exit, renewal (Art 14, 15, 8)
OVERSEE_YEARLY = _cap("OVERSEE_YEARLY", OVERSIGHT_ROLES,
                      "read every campaign, evaluation, exit and renewal (experts: their own)")
RATE_EVALUATIONS = _cap("RATE_EVALUATIONS", (GROUP_LEADER,), "rate the group's experts (forms they rate)")
VIEW_YEARLY = _cap("VIEW_YEARLY", OVERSIGHT_ROLES + (GROUP_LEADER, EXPERT), "open 评价与出库")
VIEW_CAMPAIGNS = _cap("VIEW_CAMPAIGNS", OVERSIGHT_ROLES + (GROUP_LEADER,), "open a campaign's forms")
RUN_CAMPAIGN = _cap("RUN_CAMPAIGN", (TALENT_CENTER,), "start a campaign now, finalize forms in bulk")
START_EXIT = _cap("START_EXIT", (TALENT_CENTER,), "propose an exit on an Art 15 ground")

# Process instances
VIEW_INSTANCES = _cap("VIEW_INSTANCES", OVERSIGHT_ROLES + (PROCESS_OWNER,),
                      "list and read every instance (others: started, involved, own unit's)")

# Workbench (processes) and groups
OPEN_WORKBENCH = _cap("OPEN_WORKBENCH", PROCESS_VIEW_ROLES + (QUALITY_DIVISION, BUREAU_LEADER),
                      "open 流程管理 (group roles are sent on to the groups page)")
VIEW_PROCESSES = _cap("VIEW_PROCESSES", PROCESS_VIEW_ROLES, "read processes, versions and drafts")
EDIT_PROCESSES = _cap("EDIT_PROCESSES", (PROCESS_OWNER,), "edit drafts, deploy, migrate")
VIEW_GROUPS = _cap("VIEW_GROUPS", (QUALITY_DIVISION, BUREAU_LEADER, TALENT_CENTER, PROCESS_OWNER, AUDITOR, ADMIN),
                   "read the groups and their changes")
PROPOSE_GROUP_CHANGE = _cap("PROPOSE_GROUP_CHANGE", (QUALITY_DIVISION,), "propose a group change (Art 9)")

# Administration (accounts, units, roles)
ADMINISTER = _cap("ADMINISTER", (ADMIN,), "manage accounts (create, roles, unit, deactivate, reset, unlock) and units")
VIEW_ACCOUNT_LOG = _cap("VIEW_ACCOUNT_LOG", (ADMIN, AUDITOR), "read the account and unit changes")
VIEW_PII_LOG = _cap("VIEW_PII_LOG", (AUDITOR,), "list who saw whose personal data unmasked, and when")

# Search and export (issue 13): only roles that see drawn names — a search by expert, actor or free text over
# every event would tell a role that sees requests sealed who was drawn (Art 13).
SEARCH_AUDIT = _cap("SEARCH_AUDIT", FULL_ROLES, "search audit events and instances, export the results")

# Dashboards (the talent center reports to the division and the leaders; counts only, no personal data)
VIEW_DASHBOARD = _cap("VIEW_DASHBOARD", (TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER),
                      "open 统计看板 (charts, tables, XLSX)")

VIEW_EVIDENCE = _cap("VIEW_EVIDENCE", (AUDITOR, ADMIN), "read, sign now and download the signed audit checkpoints")

# Operations
VIEW_INCIDENTS = _cap("VIEW_INCIDENTS", (PROCESS_OWNER, ADMIN), "see failed automatic steps and retry them")

# Menu entries (webui/templates/base.html) narrower than the page they open: admin may open 专家抽取, auditor
# and admin 评价与出库, by their address, but the menu does not offer them. Every other entry shows to exactly
# the roles its page lets in (its page's capability).
MENU_ASSIGNMENT = _cap("MENU_ASSIGNMENT", (USING_UNIT, EXPERT, TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER,
                                           AUDITOR), "the 专家抽取 menu entry (VIEW_ASSIGNMENT but admin)")
MENU_YEARLY = _cap("MENU_YEARLY", (TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER, GROUP_LEADER, EXPERT),
                   "the 评价与出库 menu entry (VIEW_YEARLY but auditor and admin)")
MENUS = {"assignment.index": (MENU_ASSIGNMENT, VIEW_ASSIGNMENT), "evaluation.index": (MENU_YEARLY, VIEW_YEARLY)}
"""Page endpoint → (its menu entry's capability, the page's): the menu never offers a page that answers 403."""

BULK_FORMS = {"leader_approval": BULK_APPROVE, "record_document": BULK_RECORD_DOCUMENT}
"""Bulk actions of the inbox (DESIGN §4.1): form key → the capability that may use it."""

START_PROCESS = {"admission_public": START_ADMISSION, "admission_invited": INVITE_EXPERT}
"""Processes the JSON API starts (POST /processes/<key>/instances) → who may start them."""


# --- answers ----------------------------------------------------------------------------------------------

def roles_of(user) -> frozenset[str]:
    """The user's role codes (none for an anonymous user or None)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(getattr(user, "roles", ()) or ())


def allows(user, capability: Capability) -> bool:
    """True when the user holds one of the capability's roles."""
    return bool(roles_of(user) & capability.roles)


def is_overseer(user) -> bool:
    """True for the roles that may read every yearly record (evaluations, exits, renewals, expert records)."""
    return allows(user, OVERSEE_YEARLY)


def capability(name: str) -> Capability:
    """A capability by its name (KeyError when unknown)."""
    return CAPABILITIES[name]
