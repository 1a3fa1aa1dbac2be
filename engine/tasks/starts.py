"""Starting a process its owner declared startable (issue 11 item 20): the roles on its start event may start
it — from the inbox or the API — with its start form validated like any task form; everybody else is refused.

The declaration was checked and resolved when the version was deployed (engine.deploy.lint_start); the latest
version decides, as for every start. Shipped processes have none: their procedures' own pages start them.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from engine.core import runner
from engine.core.errors import Forbidden, NotFound
from engine.core.models import ProcessInstance, ProcessVersion
from engine.core.registry import latest_version
from engine.core.scripting import HostContext
from engine.core.uow import unit_of_work
from engine.platform.attachments import validate_with_uploads
from engine.platform.models import Role
from engine.tasks.services import dynamic_choices


@dataclass(frozen=True)
class StartOption:
    """A process the user may start: its key, name, version, start form (or None), starter role names and
    the start event (its form's values are stored under that id)."""

    process_key: str
    name: str
    version: int
    form: dict | None
    role_names: tuple[str, ...]
    event_id: str


def _latest_versions(session) -> list[ProcessVersion]:
    newest = (select(ProcessVersion.process_key, func.max(ProcessVersion.version).label("number"))
              .group_by(ProcessVersion.process_key).subquery())
    return list(session.scalars(select(ProcessVersion).join(newest, (ProcessVersion.process_key == newest.c.process_key)
                                                            & (ProcessVersion.version == newest.c.number))
                                .order_by(ProcessVersion.name, ProcessVersion.process_key)))


def _may_start(actor, declaration: dict | None) -> bool:
    return bool(declaration) and bool(set(getattr(actor, "roles", ())) & set(declaration["roles"]))


def _option(version: ProcessVersion, names: dict[str, str]) -> StartOption:
    declaration = version.start_declaration
    # The form deployed with the version (like a task's), never today's file.
    form = (version.forms or {}).get(declaration["form_key"]) if declaration["form_key"] else None
    return StartOption(version.process_key, version.name, version.version, form,
                       tuple(names.get(code, code) for code in declaration["roles"]), declaration["event_id"])


def startable(session, actor) -> list[StartOption]:
    """The declared processes this user may start (SQL over the latest versions; no workflow is loaded)."""
    versions = [v for v in _latest_versions(session) if _may_start(actor, v.start_declaration)]
    names = dict(session.execute(select(Role.code, Role.name)).all()) if versions else {}
    return [_option(v, names) for v in versions]


def start_option(session, actor, process_key: str) -> StartOption:
    """One process the user may start: 404 unless its latest version declares starters, 403 when the user's
    roles are not among them."""
    try:
        version = latest_version(session, process_key)
    except NotFound:
        version = None
    if version is None or not version.start_declaration:
        raise NotFound(f"流程 {process_key} 不存在或不能在此发起")
    if not _may_start(actor, version.start_declaration):
        raise Forbidden("您的角色不在该流程声明的发起角色中，无权发起")
    return _option(version, dict(session.execute(select(Role.code, Role.name)).all()))


def start(session, actor, process_key: str, raw: dict, files: dict, now: datetime) -> ProcessInstance:
    """Validate the start form and start the process on its latest version (one unit of work).

    The form's values are stored under the start event's id (as a task's under its id); `starter_user_id`
    lets a later task name the starter as its assignee; the instance belongs to the starter's unit.
    """
    with unit_of_work(session):
        option = start_option(session, actor, process_key)
        data = {"starter_user_id": actor.id}
        if option.form is not None:
            data[option.event_id], _ = validate_with_uploads(session, option.form, raw, files, actor, now,
                                                             dynamic_choices(session, option.form))
        instance = runner.start(session, process_key, HostContext(session=session, actor=actor, now=now), data,
                                subject=f"{option.name} — {actor.display_name}", unit_id=actor.unit_id)
    return instance
