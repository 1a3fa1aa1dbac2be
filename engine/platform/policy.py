"""Who may do what (DESIGN §3): the roles, the named capabilities and the role groups, in one place.

The web views, the JSON API and the route × role matrix test read this module; nothing else spells a role
list. A *capability* is a name for something a user may do ("view every application", "start an
assignment request") and the roles that hold it; `allows(user, capability)` answers for one user.

Route-level capabilities decide whether a role may open a page at all. Object checks (is this *your*
application, your unit's request, your engagement?) stay in the engine services, which are told by the
"sees every …" capabilities below which roles skip the ownership test. The matrix test derives its
expected answers (own object → allowed, another unit's / another expert's → 403 unless the role sees all,
wrong role → 403, anonymous → login) from the same capabilities.

The engine still carries its own copies of some role groups; they are repeated here under the same names
(a name taken twice in the engine is qualified, see ENGINE_TUPLES) so that switching a file to this
module is a one-line import change.

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

# --- role groups the engine uses today (same names as in the engine files; see ENGINE_TUPLES) ------------

OVERSIGHT_ROLES = (TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER, AUDITOR, ADMIN)
"""engine.platform.roles: roles that read every evaluation, exit and renewal record (`is_overseer`)."""

APPLICATION_STAFF_ROLES = (TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER, AUDITOR, ADMIN)
"""engine.admission.queries: staff who read any application (applicants see their own)."""

STAFF_ROLES = APPLICATION_STAFF_ROLES
"""engine.admission.attachments: staff who download any attachment (others: their own uploads/applications)."""

INSTANCE_OVERSIGHT_ROLES = (TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER, AUDITOR, ADMIN, PROCESS_OWNER)
"""engine.tasks.instances `OVERSIGHT_ROLES`: roles that list and read every process instance."""

FULL_ROLES = (TALENT_CENTER, AUDITOR)
"""engine.assignment.queries: see every request with the drawn experts' names."""

ASSIGNMENT_OVERSIGHT_ROLES = (QUALITY_DIVISION, BUREAU_LEADER, ADMIN)
"""engine.assignment.queries `OVERSIGHT_ROLES`: see every request, names sealed (Art 13)."""

STAFF_VIEW_ROLES = (TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER, USING_UNIT, GROUP_LEADER, AUDITOR, ADMIN,
                    PROCESS_OWNER)
"""engine.experts.queries: roles that may search the pool."""

PROCESS_VIEW_ROLES = (PROCESS_OWNER, AUDITOR)
"""engine.deploy.catalog `VIEW_ROLES` (and drafts.get_version's `OWNER, "auditor"`): read process definitions."""

OWNER = PROCESS_OWNER
"""engine.deploy.drafts: the one role that edits, deploys and migrates processes."""

GROUP_VIEW_ROLES = (QUALITY_DIVISION, BUREAU_LEADER, TALENT_CENTER, PROCESS_OWNER, AUDITOR, ADMIN)
"""engine.groups.services `VIEW_ROLES`: read the groups (Art 9) and their changes."""

PROPOSER = QUALITY_DIVISION
"""engine.groups.services: the role that proposes group changes."""

LEADER_ROLE = GROUP_LEADER
"""engine.groups.apply: granted to / withdrawn from whoever leads a group or sub-team."""

UNIT_SCOPED_ROLES = frozenset({USING_UNIT})
"""engine.core.inbox: lanes whose tasks go only to users of the task's unit."""

ENGINE_TUPLES = {
    "engine/platform/roles.py": ("OVERSIGHT_ROLES",),
    "engine/admission/queries.py": ("APPLICATION_STAFF_ROLES",),
    "engine/admission/attachments.py": ("STAFF_ROLES",),
    "engine/tasks/instances.py": ("INSTANCE_OVERSIGHT_ROLES as OVERSIGHT_ROLES",),
    "engine/assignment/queries.py": ("FULL_ROLES", "ASSIGNMENT_OVERSIGHT_ROLES as OVERSIGHT_ROLES"),
    "engine/experts/queries.py": ("STAFF_VIEW_ROLES",),
    "engine/deploy/catalog.py": ("PROCESS_VIEW_ROLES as VIEW_ROLES",),
    "engine/deploy/drafts.py": ("OWNER",),
    "engine/groups/services.py": ("GROUP_VIEW_ROLES as VIEW_ROLES", "PROPOSER"),
    "engine/groups/apply.py": ("LEADER_ROLE",),
    "engine/core/inbox.py": ("UNIT_SCOPED_ROLES",),
}
"""Engine file → `from engine.platform.policy import …` that replaces its own role tuple(s)."""

ENGINE_CHECKS = {
    "engine/admission/services.py": ("ENTER_PAPER_APPLICATION", "SUBMIT_APPLICATION", "INVITE_EXPERT"),
    "engine/admission/calls.py": ("PUBLISH_CALL",),
    "engine/admission/admit.py": ("EXPERT (the role granted on admission)",),
    "engine/assignment/services.py": ("START_ASSIGNMENT", "REPORT_CONFLICT / REPORT_ANY_CONFLICT", "GRANT_DELEGATION"),
    "engine/assignment/queries.py": ("SEE_DRAWN_NAMES", "VIEW_ALL_REQUESTS", "USING_UNIT (own unit)"),
    "engine/tasks/instances.py": ("VIEW_INSTANCES", "USING_UNIT (own unit)"),
    "engine/evaluation/services.py": ("RUN_CAMPAIGN",),
    "engine/evaluation/campaign.py": ("RUN_CAMPAIGN",),
    "engine/evaluation/queries.py": ("OVERSEE_YEARLY (is_overseer)", "RATE_EVALUATIONS"),
    "engine/evaluation/exports.py": ("OVERSEE_YEARLY (is_overseer)",),
    "engine/exit/services.py": ("START_EXIT",),
    "engine/experts/queries.py": ("VIEW_EXPERTS", "OVERSEE_YEARLY (case_access)"),
    "engine/experts/roster.py": ("EXPERT_SELF_SERVICE",),
    "engine/deploy/catalog.py": ("VIEW_PROCESSES",),
    "engine/deploy/drafts.py": ("EDIT_PROCESSES", "VIEW_PROCESSES (get_version)"),
    "engine/groups/services.py": ("VIEW_GROUPS", "PROPOSE_GROUP_CHANGE"),
}
"""Engine file → the capabilities its literal `has_role(...)` checks mean (`allows(user, …)` replaces them)."""

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
VIEW_ATTACHMENTS = _cap("VIEW_ATTACHMENTS", STAFF_ROLES,
                        "download every attachment (others: their uploads and their applications')")

# Inbox
BULK_APPROVE = _cap("BULK_APPROVE", (BUREAU_LEADER,), "批量批准 leader_approval tasks")
BULK_RECORD_DOCUMENT = _cap("BULK_RECORD_DOCUMENT", (TALENT_CENTER,), "批量登记发文文号 record_document tasks")

# Assignment (Art 12–13)
VIEW_ASSIGNMENT = _cap("VIEW_ASSIGNMENT", (USING_UNIT, EXPERT, TALENT_CENTER, QUALITY_DIVISION, BUREAU_LEADER,
                                           AUDITOR, ADMIN), "open the assignment overview")
START_ASSIGNMENT = _cap("START_ASSIGNMENT", (USING_UNIT,), "request experts (用人申请) for the user's unit")
VIEW_ALL_REQUESTS = _cap("VIEW_ALL_REQUESTS", FULL_ROLES + ASSIGNMENT_OVERSIGHT_ROLES,
                         "read every unit's requests and draws (units: their own; experts: where engaged)")
SEE_DRAWN_NAMES = _cap("SEE_DRAWN_NAMES", FULL_ROLES,
                       "see drawn experts' names and engagements of every unit (Art 13 sealing)")
REPORT_CONFLICT = _cap("REPORT_CONFLICT", (USING_UNIT, TALENT_CENTER),
                       "report a conflict after the draw (units: on their own requests)")
REPORT_ANY_CONFLICT = _cap("REPORT_ANY_CONFLICT", (TALENT_CENTER,), "report a conflict on any unit's request")
VIEW_DELEGATIONS = _cap("VIEW_DELEGATIONS", (BUREAU_LEADER, QUALITY_DIVISION, AUDITOR),
                        "see the leaders' authorizations of the quality division")
GRANT_DELEGATION = _cap("GRANT_DELEGATION", (BUREAU_LEADER,), "authorize / revoke (Art 13)")
VIEW_OWN_UNIT = _cap("VIEW_OWN_UNIT", UNIT_SCOPED_ROLES,
                     "read the own unit's requests, draws and process instances (the object's unit must be the "
                     "user's)")

# Experts
VIEW_EXPERTS = _cap("VIEW_EXPERTS", STAFF_VIEW_ROLES, "search the expert pool")
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
VIEW_INSTANCES = _cap("VIEW_INSTANCES", INSTANCE_OVERSIGHT_ROLES,
                      "list and read every instance (others: started, involved, own unit's)")

# Workbench (processes) and groups
OPEN_WORKBENCH = _cap("OPEN_WORKBENCH", PROCESS_VIEW_ROLES + (QUALITY_DIVISION, BUREAU_LEADER),
                      "open 流程管理 (group roles are sent on to the groups page)")
VIEW_PROCESSES = _cap("VIEW_PROCESSES", PROCESS_VIEW_ROLES, "read processes, versions and drafts")
EDIT_PROCESSES = _cap("EDIT_PROCESSES", (OWNER,), "edit drafts, deploy, migrate")
VIEW_GROUPS = _cap("VIEW_GROUPS", GROUP_VIEW_ROLES, "read the groups and their changes")
PROPOSE_GROUP_CHANGE = _cap("PROPOSE_GROUP_CHANGE", (PROPOSER,), "propose a group change (Art 9)")

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
    """True for the roles that may read every yearly record (the twin of engine.platform.roles.is_overseer,
    which the engine files import today; switching them is the same one-line import change)."""
    return allows(user, OVERSEE_YEARLY)


def capability(name: str) -> Capability:
    """A capability by its name (KeyError when unknown)."""
    return CAPABILITIES[name]
