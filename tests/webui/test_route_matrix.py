"""Route × role × ownership matrix: every route of the app and of the OpenAPI document, for anonymous users and
every role, on its own object, another unit's and another expert's, answers what engine.platform.policy says.

The world is seeded once for the module through the real services (tests/webui/matrix_support.py). ROUTES is
the one table of expectations: per (endpoint, method) the capability the route requires, the kind of object
its id names, the capability that lets a role open *another* unit's / expert's / applicant's object of that
kind, and the answers that mean "let in" (a POST that would change something is sent an invalid body, a
stale lock or an object in a finished state, so "let in" is a 4xx other than 401/403, and nothing changes).

Expected: anonymous → 302 to the login page (UI) / 401 (API); a role without the route's capability → 403;
its own object → let in; another's object → let in only when the role holds the "sees all" capability,
403 otherwise.
"""

import ast
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from engine.core.integrity import check
from engine.core.spiff import spec_cache
from engine.platform import policy as P
from engine.platform.policy import Capability
from tests.experts.roster_support import DEC1
from tests.support import PASSWORD, T0, login
from tests.webui.matrix_support import seed_world, wipe
from webui.extensions import db


@dataclass(frozen=True)
class Route:
    """What one (endpoint, method) requires and how it answers when the caller is let in."""

    gate: tuple[Capability, ...] = ()  # all of these are required (none: any logged-in user)
    kind: str | None = None  # the object kind its id names (None: no object, or one nobody owns)
    sees_all: Capability | None = None  # who may open another's object of that kind (None: nobody)
    ok: frozenset[int] = frozenset({200})
    data: dict | None = None  # form (UI) or JSON (API) body
    args: dict = field(default_factory=dict)  # fixed path arguments; values naming World.single are looked up
    public: bool = False  # no login needed (everybody gets `ok`)


def R(*gate, kind=None, sees_all=None, ok=(200,), data=None, public=False, **args):  # noqa: N802 (a table row)
    return Route(tuple(gate), kind, sees_all, frozenset(ok), data, args, public)


class Ref(str):
    """A body value naming one of the world's single objects (World.single)."""


STALE = {"lock_version": "999999"}  # a task form posted with a stale lock: 422 (invalid) or 409 (stale)
REFUSED = (409, 422)

ROUTES = {
    # --- log in / out --------------------------------------------------------------------------------------
    ("auth.login", "GET"): R(public=True),
    ("auth.login", "POST"): R(public=True, data={}),  # an empty form: shown again
    ("auth.logout", "POST"): R(ok=(302,)),  # sent last: it ends the session
    ("register.open_calls", "GET"): R(public=True),
    ("register.register", "GET"): R(public=True),
    ("register.register", "POST"): R(public=True, ok=(422,), data={}),
    ("register.verify", "GET"): R(public=True),
    ("register.verify", "POST"): R(public=True, ok=(422,), data={}),
    ("register.forgot", "GET"): R(public=True),
    ("register.forgot", "POST"): R(public=True, ok=(302,), data={}),
    ("register.reset", "GET"): R(public=True),
    ("register.reset", "POST"): R(public=True, ok=(422,), data={}),
    ("account.index", "GET"): R(),
    ("account.digest", "POST"): R(ok=(422,), data={}),  # neither on nor off: refused
    ("notifications.index", "GET"): R(),
    ("notifications.index", "POST"): R(ok=(302,), data={}),  # marks my notifications read
    ("notifications.mark_read", "POST"): R(ok=(404,), data={}, note_id=2_000_000_000),
    ("notifications.task_for", "GET"): R(ok=(302,), instance_id=2_000_000_000),  # no task of mine: the case page
    # --- administration ------------------------------------------------------------------------------------
    ("administration.users_index", "GET"): R(P.ADMINISTER),
    ("administration.new_user", "GET"): R(P.ADMINISTER),
    ("administration.new_user", "POST"): R(P.ADMINISTER, ok=(422,), data={}),
    ("administration.edit_user", "GET"): R(P.ADMINISTER, ok=(404,), user_id=2_000_000_000),
    ("administration.edit_user", "POST"): R(P.ADMINISTER, ok=(404,), data={}, user_id=2_000_000_000),
    ("administration.set_active", "POST"): R(P.ADMINISTER, ok=(404,), data={}, user_id=2_000_000_000),
    ("administration.reset_password", "POST"): R(P.ADMINISTER, ok=(404,), data={}, user_id=2_000_000_000),
    ("administration.unlock", "POST"): R(P.ADMINISTER, ok=(404,), data={}, user_id=2_000_000_000),
    ("administration.units", "GET"): R(P.ADMINISTER),
    ("administration.units", "POST"): R(P.ADMINISTER, ok=(422,), data={}),
    ("administration.roles", "GET"): R(P.ADMINISTER),
    ("administration.account_log", "GET"): R(P.VIEW_ACCOUNT_LOG),
    ("dashboard.index", "GET"): R(P.VIEW_DASHBOARD),
    ("dashboard.export_xlsx", "GET"): R(P.VIEW_DASHBOARD),
    ("experts.pii_views", "GET"): R(P.VIEW_PII_LOG),
    ("experts.history", "GET"): R(kind="expert", sees_all=P.VIEW_EVERY_EXPERT),
    ("experts.history_xlsx", "GET"): R(kind="expert", sees_all=P.VIEW_EVERY_EXPERT),
    # --- evidence (signed audit checkpoints; no key configured in the matrix world: signing is refused) -----
    ("evidence.index", "GET"): R(P.VIEW_EVIDENCE),
    ("evidence.sign", "POST"): R(P.VIEW_EVIDENCE, ok=(409,), data={}),
    ("evidence.download", "GET"): R(P.VIEW_EVIDENCE, ok=(404,)),
    ("account.change_password", "POST"): R(ok=(422,), data={}),  # nothing filled in: the form again
    ("account.revoke_session", "POST"): R(ok=(404,), session_id=2_000_000_000),  # nobody's session
    ("account.revoke_token", "POST"): R(ok=(404,), token_id=2_000_000_000),
    # --- inbox and the one task page -----------------------------------------------------------------------
    ("tasks.inbox", "GET"): R(),
    ("tasks.show", "GET"): R(kind="task"),
    ("tasks.show", "POST"): R(kind="task", ok=REFUSED, data=STALE),
    ("tasks.claim", "POST"): R(kind="task", ok=(302,)),
    ("tasks.unclaim", "POST"): R(kind="task", ok=(302,)),  # right after the claim: the claim is released
    ("tasks.bulk_approve", "POST"): R(P.BULK_APPROVE, ok=(302,), data={}),  # nothing ticked
    ("tasks.bulk_document", "POST"): R(P.BULK_RECORD_DOCUMENT, ok=(302,), data={}),
    # a process its owner declared startable (issue 11 item 20); a shipped one is started by its own pages: 404
    ("tasks.start", "GET"): R(ok=(404,), process_key="admission_invited"),
    ("tasks.start", "POST"): R(ok=(404,), data={}, process_key="admission_invited"),
    ("inbox.count", "GET"): R(),
    ("inbox.create_filter", "POST"): R(ok=(302,), data={}),  # no name: refused with a message, nothing saved
    ("inbox.rename_filter", "POST"): R(ok=(404,), data={}, filter_id=2_000_000_000),
    ("inbox.delete_filter", "POST"): R(ok=(404,), data={}, filter_id=2_000_000_000),
    ("inbox.follow_up", "POST"): R(kind="task", ok=(302,)),  # no date: clears (there is none)
    # --- admission -----------------------------------------------------------------------------------------
    ("admission.new", "GET"): R(P.SUBMIT_APPLICATION),
    ("admission.new", "POST"): R(P.SUBMIT_APPLICATION, ok=REFUSED, data={}),
    ("admission.paper", "GET"): R(P.ENTER_PAPER_APPLICATION),
    ("admission.paper", "POST"): R(P.ENTER_PAPER_APPLICATION, ok=(422,), data={}),
    ("admission.invite", "GET"): R(P.INVITE_EXPERT),
    ("admission.invite", "POST"): R(P.INVITE_EXPERT, ok=(422,), data={}),
    ("admission.mine", "GET"): R(),
    ("admission.detail", "GET"): R(kind="application", sees_all=P.VIEW_APPLICATIONS),
    ("admission.attachment", "GET"): R(kind="attachment", sees_all=P.VIEW_ATTACHMENTS),
    ("admission.calls", "GET"): R(P.MANAGE_CALLS),
    ("admission.calls", "POST"): R(P.MANAGE_CALLS, P.PUBLISH_CALL, ok=(422,), data={}),
    ("admission.application_recommendation", "GET"): R(kind="application", sees_all=P.VIEW_APPLICATIONS),
    ("admission.application_commitment", "GET"): R(kind="application", sees_all=P.VIEW_APPLICATIONS),
    ("admission.expert_recommendation", "GET"): R(kind="expert", sees_all=P.VIEW_EXPERTS),
    ("admission.expert_commitment", "GET"): R(kind="expert", sees_all=P.VIEW_EXPERTS),
    ("admission.certificate", "GET"): R(kind="expert", sees_all=P.VIEW_EXPERTS),
    ("admission.admission_list", "GET"): R(P.VIEW_APPLICATIONS, ok=(422,)),  # no 文号 given: asked for one
    # --- assignment ----------------------------------------------------------------------------------------
    ("assignment.index", "GET"): R(P.VIEW_ASSIGNMENT),
    ("assignment.new", "GET"): R(P.START_ASSIGNMENT),
    ("assignment.new", "POST"): R(P.START_ASSIGNMENT, ok=(422,), data={}),
    ("assignment.detail", "GET"): R(kind="request", sees_all=P.VIEW_ALL_REQUESTS),
    ("assignment.verify", "GET"): R(kind="draw", sees_all=P.VIEW_ALL_REQUESTS),
    ("assignment.export", "GET"): R(kind="draw_export", sees_all=P.SEE_DRAWN_NAMES),
    ("assignment.engagement", "GET"): R(kind="engagement", sees_all=P.SEE_DRAWN_NAMES),
    ("assignment.report_conflict", "POST"): R(P.REPORT_CONFLICT, kind="engagement", sees_all=P.REPORT_ANY_CONFLICT,
                                              ok=(422,), data={"reason": ""}),
    ("assignment.task", "GET"): R(kind="assignment_task", ok=(308,)),
    ("assignment.task", "POST"): R(kind="assignment_task", ok=(308,), data=STALE),
    ("assignment.delegations", "GET"): R(P.VIEW_DELEGATIONS),
    ("assignment.delegations", "POST"): R(P.VIEW_DELEGATIONS, P.GRANT_DELEGATION, ok=(422,), data={}),
    ("assignment.revoke", "POST"): R(P.GRANT_DELEGATION, ok=(409,), delegation_id="delegation"),  # revoked
    # --- experts and instances -----------------------------------------------------------------------------
    ("experts.index", "GET"): R(P.VIEW_EXPERTS),
    ("experts.detail", "GET"): R(kind="expert", sees_all=P.VIEW_EXPERTS),
    ("experts.export", "GET"): R(P.VIEW_EXPERTS, fmt="csv"),
    ("audit.events", "GET"): R(P.SEARCH_AUDIT),
    ("audit.export", "GET"): R(P.SEARCH_AUDIT, fmt="csv"),
    ("instances.index", "GET"): R(P.VIEW_INSTANCES),
    ("instances.detail", "GET"): R(kind="instance", sees_all=P.VIEW_INSTANCES),
    ("incidents.index", "GET"): R(P.VIEW_INCIDENTS),
    ("incidents.retry", "POST"): R(P.VIEW_INCIDENTS, ok=(404,), incident_id="incident"),  # none failed
    # --- evaluation, exit, renewal, self-service -----------------------------------------------------------
    ("evaluation.index", "GET"): R(P.VIEW_YEARLY),
    ("evaluation.start_campaign", "POST"): R(P.RUN_CAMPAIGN, ok=REFUSED, data={"year": "2026"}),  # started already
    ("evaluation.campaign_page", "GET"): R(P.VIEW_CAMPAIGNS, year="year"),
    ("evaluation.campaign_export", "GET"): R(P.OVERSEE_YEARLY, year="year"),
    ("evaluation.campaign_bulk", "POST"): R(P.RUN_CAMPAIGN, ok=(200, 302), data={"mode": "x"}, year="year"),
    ("evaluation.evaluation", "GET"): R(kind="evaluation", sees_all=P.OVERSEE_YEARLY),
    ("evaluation.evaluation", "POST"): R(kind="evaluation", sees_all=P.OVERSEE_YEARLY, ok=(308, 409), data={}),
    ("evaluation.evaluation_docx", "GET"): R(kind="evaluation", sees_all=P.OVERSEE_YEARLY),
    ("exit.new", "GET"): R(P.START_EXIT),
    ("exit.new", "POST"): R(P.START_EXIT, ok=(422,), data={}),
    ("exit.case", "GET"): R(kind="exit_case", sees_all=P.OVERSEE_YEARLY),
    ("renewal.case", "GET"): R(kind="renewal", sees_all=P.OVERSEE_YEARLY),
    ("me.index", "GET"): R(P.EXPERT_SELF_SERVICE),
    ("me.contact", "POST"): R(P.EXPERT_SELF_SERVICE, ok=(422,), data={}),
    ("me.declare", "POST"): R(P.EXPERT_SELF_SERVICE, ok=(422,), data={}),
    ("me.end_declaration", "POST"): R(P.EXPERT_SELF_SERVICE, kind="declaration", ok=(409,)),  # ended
    ("me.withdraw", "POST"): R(P.EXPERT_SELF_SERVICE, ok=REFUSED, data={}),
    # --- workbench and groups ------------------------------------------------------------------------------
    ("workbench.index", "GET"): R(P.OPEN_WORKBENCH, ok=(200, 302)),  # group roles go on to the groups page
    ("workbench.process", "GET"): R(P.VIEW_PROCESSES, key="process"),
    ("workbench.download", "GET"): R(P.VIEW_PROCESSES, source="versions", item_id="version", name="process.bpmn"),
    ("workbench.new_draft", "POST"): R(P.EDIT_PROCESSES, ok=(302,), version_id="version"),  # a new draft
    ("workbench.upload", "POST"): R(P.EDIT_PROCESSES, ok=(422,), data={}),
    ("workbench.editor", "GET"): R(P.EDIT_PROCESSES, draft_id="draft"),
    ("workbench.check", "GET"): R(P.EDIT_PROCESSES, draft_id="draft"),
    ("workbench.diff", "GET"): R(P.EDIT_PROCESSES, draft_id="draft"),
    ("workbench.save", "POST"): R(P.EDIT_PROCESSES, ok=(302,), data={"bpmn_xml": ""}, draft_id="draft"),  # refused
    ("workbench.save_dmn", "POST"): R(P.EDIT_PROCESSES, ok=(302,), data={"name": ""}, draft_id="draft"),
    ("workbench.upload_into", "POST"): R(P.EDIT_PROCESSES, ok=(302,), data={}, draft_id="draft"),
    ("workbench.deploy", "POST"): R(P.EDIT_PROCESSES, ok=(409,), draft_id="abandoned_draft"),
    ("workbench.abandon", "POST"): R(P.EDIT_PROCESSES, ok=(409,), draft_id="abandoned_draft"),
    ("workbench.migration", "GET"): R(P.EDIT_PROCESSES, key="process"),
    ("workbench.migration", "POST"): R(P.EDIT_PROCESSES, data={"action": "dry_run", "target": Ref("version")},
                                             key="process"),
    ("groups.index", "GET"): R(P.VIEW_GROUPS),
    ("groups.propose", "POST"): R(P.PROPOSE_GROUP_CHANGE, ok=(422,), data={}, kind_="rename"),
    ("groups.change", "GET"): R(P.VIEW_GROUPS, change_id="change"),
    # --- JSON API ------------------------------------------------------------------------------------------
    ("api.issue_token", "POST"): R(public=True, ok=(401,), data={}),  # no credentials
    ("api.openapi_document", "GET"): R(public=True),
    ("api.list_tasks", "GET"): R(),
    ("api_inbox.task_count", "GET"): R(),
    ("api_inbox.set_follow_up", "PUT"): R(kind="task", ok=(422,)),  # no date
    ("api_inbox.clear_follow_up", "DELETE"): R(kind="task"),
    ("api_inbox.list_filters", "GET"): R(),
    ("api_inbox.create_filter", "POST"): R(ok=(422,), data={}),  # no name: refused, nothing saved
    # another user's real saved filter (nobody the matrix plays owns it): 404 for every role, and it stays
    ("api_inbox.rename_filter", "PATCH"): R(ok=(404,), data={"name": "改名"}, filter_id="foreign_filter"),
    ("api_inbox.delete_filter", "DELETE"): R(ok=(404,), filter_id="foreign_filter"),
    ("api_notifications.list_notifications", "GET"): R(),
    ("api_notifications.mark_read", "POST"): R(ok=(404,), data={"ids": [2_000_000_000]}),  # nobody's: nothing marked
    ("api.show_task", "GET"): R(kind="task"),
    ("api.claim_task", "POST"): R(kind="task"),
    ("api.unclaim_task", "POST"): R(kind="task"),
    ("api.complete_task", "POST"): R(kind="task", ok=REFUSED, data={"data": {}, "lock_version": 999999}),
    ("api.start_instance", "POST"): R(P.START_PROCESS["admission_invited"], ok=(400,), data={},
                                      process_key="admission_invited"),
    ("api.list_processes", "GET"): R(),
    ("api.show_instance", "GET"): R(kind="instance", sees_all=P.VIEW_INSTANCES),
    ("api.list_experts", "GET"): R(P.VIEW_EXPERTS),
    ("api.show_expert", "GET"): R(kind="expert", sees_all=P.VIEW_EXPERTS),
    ("api.upload_attachment", "POST"): R(ok=(422,), data={}),  # no file
    ("api.my_applications", "GET"): R(),
    ("api_bulk.bulk_tasks", "POST"): R(ok=(422,), data={}),  # no form_key: refused before any selection
    ("api_assignment.create_request", "POST"): R(P.START_ASSIGNMENT, ok=(422,), data={}),
    ("api_assignment.show_request", "GET"): R(kind="request", sees_all=P.VIEW_ALL_REQUESTS),
    ("api_assignment.verify", "GET"): R(kind="draw", sees_all=P.VIEW_ALL_REQUESTS),
    ("api_assignment.export", "GET"): R(kind="draw_export", sees_all=P.SEE_DRAWN_NAMES),
    ("api_audit.audit_events", "GET"): R(P.SEARCH_AUDIT),
}

# Routes the matrix does not request, and why.
EXEMPT = {
    "static": "package files (CSS, JS) served to anyone; no data, no object",
    "vendor": "npm front-end files served to anyone (test_workbench_ui checks they are local); no data",
}


def _rules(app):
    """(endpoint, method, rule) of every route in the url_map, HEAD/OPTIONS left out."""
    return [(rule.endpoint, method, rule) for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def _openapi_operations(app) -> set[tuple[str, str]]:
    """(url_map-style rule, METHOD) of every operation the OpenAPI document describes."""
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    base = "/api/v1"
    operations = set()
    for path, item in document["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                operations.add((base + re.sub(r"\{([^}]+)\}", r"<\1>", path), method.upper()))
    return operations


def _bare(rule: str) -> str:
    """A rule without converters: /tasks/<int:task_id> → /tasks/<task_id>."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"<\1>", rule)


def _path(rule, params: dict) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(params[m.group(1)]), rule.rule)


def _object_arg(rule, route: Route) -> str | None:
    """The path argument that names the route's object (the one not fixed by the table)."""
    free = [a for a in rule.arguments if a not in route.args and f"{a}_" not in route.args]
    assert len(free) <= 1, (rule.rule, free)
    return free[0] if free else None


def _fixed(route: Route, world) -> dict:
    return {k.rstrip("_"): world.single.get(v, v) if isinstance(v, str) else v for k, v in route.args.items()}


def allowed(user, route: Route) -> bool:
    """The route's gate: every capability it names (none: any logged-in user)."""
    return all(P.allows(user, c) for c in route.gate)


def expected(user, route: Route, case: str, api: bool) -> frozenset[int]:
    """The one rule: anonymous → login; no capability → 403; own → ok; another's → ok if the role sees all."""
    if route.public:
        return route.ok
    if user is None:
        return frozenset({401}) if api else frozenset({302})
    if not allowed(user, route):
        return frozenset({403})
    if case == "foreign" and not (route.sees_all and P.allows(user, route.sees_all)):
        return frozenset({403})
    return route.ok


@dataclass
class Call:
    """One request of the matrix."""

    endpoint: str
    method: str
    rule: object
    route: Route
    case: str  # "none" (no object / one nobody owns), "own", "foreign"
    path: str

    @property
    def api(self) -> bool:
        return self.rule.rule.startswith("/api/")


def calls_for(app, world, role: str | None) -> list[Call]:
    """Every request of one identity (None: anonymous), logout last."""
    calls = []
    for endpoint, method, rule in _rules(app):
        if endpoint in EXEMPT:
            continue
        route = ROUTES[(endpoint, method)]
        params = _fixed(route, world)
        arg = _object_arg(rule, route)
        if route.kind is None:
            assert arg is None, (endpoint, rule.rule, "an object argument without a kind")
            calls.append(Call(endpoint, method, rule, route, "none", _path(rule, params)))
            continue
        cases = [("own", world.own_id(route.kind, role)), ("foreign", world.foreign_id(route.kind, role))]
        if role is None:
            cases = [("foreign", world.foreign_id(route.kind, "*"))]
        for case, object_id in cases:
            if object_id is not None:
                calls.append(Call(endpoint, method, rule, route, case, _path(rule, params | {arg: object_id})))
    return sorted(calls, key=lambda c: c.endpoint == "auth.logout")


@pytest.fixture(scope="module")
def world(app):
    """The seeded world (once per module); afterwards the invariants are checked and the rows deleted."""
    session = db.session
    wipe(session)
    app.config["FIXED_NOW"] = T0
    started = time.perf_counter()
    seeded = seed_world(session)
    seeded.seconds = time.perf_counter() - started
    app.config["FIXED_NOW"] = DEC1
    yield seeded
    try:
        session.rollback()
        spec_cache.clear()
        problems = check(session)
        assert not problems, "integrity invariants broken by the matrix:\n" + "\n".join(map(str, problems))
    finally:
        app.config["FIXED_NOW"] = T0
        wipe(session)
        spec_cache.clear()
        session.remove()


def _ui_client(app, user):
    client = app.test_client()
    if user is not None:
        assert login(client, user.username).status_code == 302
    return client


def _token(app, user) -> dict:
    response = app.test_client().post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def _send(client, call: Call, headers: dict | None, world):
    data = call.route.data
    if data:
        data = {k: str(world.single[v]) if isinstance(v, Ref) else v for k, v in data.items()}
    if call.api:
        kwargs = {"headers": headers or {}}
        if call.method in ("POST", "PATCH") and call.endpoint != "api.upload_attachment":
            kwargs["json"] = data if data is not None else {}
        return client.open(call.path, method=call.method, **kwargs)
    return client.open(call.path, method=call.method, data=data if data is not None else {})


def run_matrix(app, world, role: str | None) -> tuple[int, list[str]]:
    """Request every route as one identity; returns (requests made, mismatches)."""
    user = world.users[role] if role else None
    ui, api_headers = _ui_client(app, user), (_token(app, user) if user else None)
    failures, made = [], 0
    for call in calls_for(app, world, role):
        want = expected(user, call.route, call.case, call.api)
        response = _send(ui if not call.api else app.test_client(), call, api_headers if call.api else None, world)
        made += 1
        got = response.status_code
        where = f"{role or 'anonymous'} {call.method} {call.path} [{call.endpoint}, {call.case}" + (
            f": {world.label(call.route.kind, role or '*')}]" if call.case == "foreign" and call.route.kind else "]")
        if got not in want:
            failures.append(f"{where}: got {got}, expected {sorted(want)}")
            continue
        if got == 302 and user is None and not call.route.public:
            if "/login" not in response.headers.get("Location", ""):
                failures.append(f"{where}: redirected to {response.headers.get('Location')}, not the login page")
        elif got == 302 and call.endpoint != "auth.logout" and "/login" in response.headers.get("Location", ""):
            failures.append(f"{where}: a logged-in user was sent to the login page")
        if call.api and got != 204:
            assert response.is_json, where
    return made, failures


def test_every_route_is_in_the_table_or_exempt_and_the_api_matches_its_document(app):
    routes = {(endpoint, method) for endpoint, method, _ in _rules(app) if endpoint not in EXEMPT}
    assert routes == set(ROUTES), {"missing from ROUTES": routes - set(ROUTES), "stale": set(ROUTES) - routes}
    api_rules = {(_bare(rule.rule), method) for _, method, rule in _rules(app) if rule.rule.startswith("/api/")}
    assert _openapi_operations(app) == api_rules


def test_views_guard_with_the_capability_the_table_expects(app):
    """A view decorated with `requires` / `api_requires` names one of the table's gates, and every gated route
    of the table has such a decorator (or, for the API's start, the per-process check in the view)."""
    for (endpoint, method), route in ROUTES.items():
        guard = getattr(app.view_functions[endpoint], "capability", None)
        if guard is not None:
            assert guard in route.gate, (endpoint, method, guard, route.gate)
        elif route.gate:
            assert endpoint == "api.start_instance", (endpoint, method, "gated in the table but not in the view")


def test_policy_names_every_role_and_only_known_roles():
    from engine.experts.reference import ROLES

    assert set(P.ROLES) | {P.SYSTEM} == {code for code, _, _ in ROLES}
    for capability in P.CAPABILITIES.values():
        assert capability.roles and capability.roles <= set(P.ROLES), capability


# --- nothing but the policy names a role --------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
ROLE_DATA = {"engine/platform/policy.py", "engine/experts/reference.py"}  # the policy; the seeded role table
NOT_SCANNED = ("webui/migrations/",)  # migrations are frozen history (none of them names a role today)
ALL_ROLES = (*P.ROLES, P.SYSTEM)
WORDS = {P.EXPERT, P.SYSTEM}  # role names that are also ordinary words ("expert" table, access level, dict key)
TRANSPARENT = (ast.Tuple, ast.List, ast.Set, ast.Starred, ast.IfExp, ast.BoolOp)
TEMPLATE_ROLE_CHECK = re.compile(r"has_role\s*\(|current_user\.roles\b")


def _mentions_role(node) -> bool:
    return node is not None and "role" in ast.unparse(node).lower()


def _in_role_context(node, parents: dict) -> bool:
    """Whether a constant is used as a role: an argument of a `*role*` call (has_role, users_with_role), a
    `*role*=` keyword (role_code=), compared with a `*role*` expression (`in user.roles`, `lane_role ==`), or
    assigned to a `*role*` name (through tuples, sets, frozenset(...), conditional expressions)."""
    parent = parents.get(node)
    while isinstance(parent, TRANSPARENT) or (
            isinstance(parent, ast.Call) and ast.unparse(parent.func) in ("frozenset", "set", "tuple", "list")):
        node, parent = parent, parents.get(parent)
    if isinstance(parent, ast.Call):
        return _mentions_role(parent.func)
    if isinstance(parent, ast.keyword):
        return "role" in (parent.arg or "").lower()
    if isinstance(parent, ast.Compare):
        return any(_mentions_role(side) for side in (parent.left, *parent.comparators))
    if isinstance(parent, ast.Assign | ast.AnnAssign):
        return any(_mentions_role(target) for target in getattr(parent, "targets", [getattr(parent, "target", None)]))
    return False


def role_literals_in_python(source: str) -> list[tuple[int, str]]:
    """(line, role) of every string literal that is a role name: any role spelled out (talent_center, …), and
    `expert` / `system` where they are used as a role (see _in_role_context)."""
    tree = ast.parse(source)
    parents = {child: parent for parent in ast.walk(tree) for child in ast.iter_child_nodes(parent)}
    found = []
    for node in ast.walk(tree):
        is_role = isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in ALL_ROLES
        if is_role and (node.value not in WORDS or _in_role_context(node, parents)):
            found.append((node.lineno, node.value))
    return sorted(found)


def role_literals_in_template(source: str) -> list[tuple[int, str]]:
    """(line, text) of every role check (`has_role(...)`, `current_user.roles`) and quoted role name."""
    quoted = re.compile(r"""['"](""" + "|".join(sorted(set(P.ROLES) - WORDS)) + r""")['"]""")
    return [(number, line.strip()) for number, line in enumerate(source.splitlines(), 1)
            if TEMPLATE_ROLE_CHECK.search(line) or quoted.search(line)]


def _scanned(pattern: str) -> list[Path]:
    return [path for top in ("engine", "webui") for path in sorted((ROOT / top).rglob(pattern))
            if not str(path.relative_to(ROOT)).startswith(NOT_SCANNED)]


def test_no_role_literals_outside_the_policy():
    """engine/ and webui/ (views, API, CLI, templates) name roles only through engine.platform.policy: its
    capabilities (`allows`, `requires`, `can('…')`) or, where a role is data, its role constants."""
    python = {str(path.relative_to(ROOT)): role_literals_in_python(path.read_text(encoding="utf-8"))
              for path in _scanned("*.py")}
    assert set(python) >= ROLE_DATA and len(python) > 100 and "webui/workbench/cli.py" in python
    assert python["engine/experts/reference.py"], "the scan no longer sees the role table's literals"
    found = {path: hits for path, hits in python.items() if hits and path not in ROLE_DATA}
    templates = {str(path.relative_to(ROOT)): role_literals_in_template(path.read_text(encoding="utf-8"))
                 for path in _scanned("*.html")}
    assert "webui/templates/base.html" in templates and len(templates) > 30
    found |= {path: hits for path, hits in templates.items() if hits}
    assert not found, "role names outside engine/platform/policy.py (use a capability or a role constant):\n" + (
        "\n".join(f"{path}:{line}: {text}" for path, hits in found.items() for line, text in hits))


def test_the_role_literal_scan_finds_checks_and_ignores_words():
    flagged = role_literals_in_python(
        'def f(user, session, task):\n'
        '    if user.has_role("talent_center", "auditor"):\n'
        '        return users_with_role(session, "talent_center")\n'
        '    if "expert" not in user.roles or task.lane_role == "system":\n'
        '        user.role_links.append(UserRole(role_code="expert"))\n'
        'OWNER = "process_owner"\n'
        'LEADER_ROLE = "group_leader"\n'
        'UNIT_ROLES = frozenset({"using_unit"})\n'
        'OVERSIGHT_ROLES = ("quality_division", "bureau_leader", "admin")\n'
        'role = "applicant" if x else "expert"\n')
    assert flagged == [(2, "auditor"), (2, "talent_center"), (3, "talent_center"), (4, "expert"), (4, "system"),
                       (5, "expert"), (6, "process_owner"), (7, "group_leader"), (8, "using_unit"),
                       (9, "admin"), (9, "bureau_leader"), (9, "quality_division"), (10, "applicant"), (10, "expert")]
    words = ('__tablename__ = "expert"\nview = {"expert": e, "system": s}\n'
             'if level == "expert":\n    source = "system"\nopen_case(session, e, "system", "age")\n'
             '"""talent_center\'s review"""\n')
    assert role_literals_in_python(words) == []
    template = ("{% if current_user.has_role('talent_center') %}\n{% if can('VIEW_INSTANCES') %}\n"
                "{{ ASSIGNMENT.roles.get(e.role, e.role) }}\n{% if 'auditor' in current_user.roles %}\n"
                "{% set r = 'process_owner' %}\n{% if r.access == 'expert' %}\n")
    assert [line for line, _ in role_literals_in_template(template)] == [1, 4, 5]


def test_templates_ask_for_capabilities_the_policy_defines():
    asked = {name for path in _scanned("*.html")
             for name in re.findall(r"""\bcan\(\s*['"]([^'"]+)['"]\s*\)""", path.read_text(encoding="utf-8"))}
    assert len(asked) > 20 and not asked - set(P.CAPABILITIES), asked - set(P.CAPABILITIES)


def test_menu_entries_never_offer_a_page_that_answers_403():
    for endpoint, (menu, page) in P.MENUS.items():
        assert menu.roles < page.roles, (endpoint, menu, page)
        assert ROUTES[(endpoint, "GET")].gate == (page,), endpoint


@pytest.mark.parametrize("role", [None, *P.ROLES], ids=["anonymous", *P.ROLES])
def test_route_role_ownership_matrix(app, world, role):
    made, failures = run_matrix(app, world, role)
    assert not failures, f"{len(failures)} of {made} requests answered otherwise:\n" + "\n".join(failures)
    assert made >= len(ROUTES)  # every route at least once


def test_the_world_has_own_and_foreign_objects_for_the_roles_that_own_them(world):
    for kind in ("application", "attachment", "task", "instance"):
        assert world.own_id(kind, P.APPLICANT) and world.foreign_id(kind, P.APPLICANT), kind
    for kind in ("request", "draw", "engagement", "assignment_task", "task", "instance"):
        assert world.own_id(kind, P.USING_UNIT) and world.foreign_id(kind, P.USING_UNIT), kind
    for kind in ("request", "engagement", "assignment_task", "task", "evaluation", "exit_case", "renewal",
                 "declaration", "expert", "instance"):
        assert world.own_id(kind, P.EXPERT) and world.foreign_id(kind, P.EXPERT), kind
    assert world.seconds < 30


def test_every_object_route_is_tried_on_own_and_foreign_objects_both_ways(app, world):
    """Each route naming an object lets some role into its own object and turns some role away from another's
    (so the ownership dimension is never vacuous), and the matrix's size is what the report says."""
    counts = {"none": 0, "own": 0, "foreign": 0}
    let_in, turned_away = set(), set()
    for role in (None, *P.ROLES):
        user = world.users[role] if role else None
        for call in calls_for(app, world, role):
            counts[call.case] += 1
            want = expected(user, call.route, call.case, call.api)
            if role and call.case == "own" and 403 not in want:
                let_in.add((call.endpoint, call.method))
            if role and call.case == "foreign" and want == {403} and allowed(user, call.route):
                turned_away.add((call.endpoint, call.method))
    object_routes = {key for key, route in ROUTES.items() if route.kind}
    assert object_routes - let_in == set()
    assert object_routes - turned_away == set()
    print(f"\nroute matrix: {len(ROUTES)} routes (+{len(EXEMPT)} exempt) x {len(P.ROLES)} roles + anonymous; "
          f"requests: {sum(counts.values())} ({counts})")


def test_templates_ask_for_capabilities_not_roles(app, world):
    from flask import g, render_template_string
    from flask_login import login_user

    with app.test_request_context("/"):
        try:
            login_user(world.users[P.AUDITOR])
            assert render_template_string("{{ can('VIEW_INSTANCES') }} {{ can('EDIT_PROCESSES') }}") == "True False"
        finally:
            g.pop("_login_user", None)  # the app context is shared by the whole session
