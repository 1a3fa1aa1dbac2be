"""Read-only workbench queries: processes with their versions, drafts, and running-instance counts (SQL)."""

from dataclasses import dataclass, field

from sqlalchemy import func, select

from engine.core.errors import Forbidden, NotFound
from engine.core.models import ProcessInstance, ProcessVersion
from engine.core.status import InstanceStatus
from engine.deploy.models import ProcessDraft
from engine.deploy.status import DraftStatus
from engine.platform import policy
from engine.platform.models import User


@dataclass
class VersionRow:
    """One deployed version as listed: number, hash, who, when, instances running on it."""

    version: ProcessVersion
    deployer: str
    running: int
    total: int


@dataclass
class ProcessEntry:
    """A process with its versions (newest first) and its open drafts."""

    key: str
    name: str
    versions: list[VersionRow] = field(default_factory=list)
    drafts: list[ProcessDraft] = field(default_factory=list)

    @property
    def latest(self) -> ProcessVersion | None:
        """The version new instances start on."""
        return self.versions[0].version if self.versions else None


def require_viewer(actor) -> None:
    """Process definitions are shown to process owners and auditors."""
    if not policy.allows(actor, policy.VIEW_PROCESSES):
        raise Forbidden("您无权查看流程定义")


def _instance_counts(session) -> dict[int, tuple[int, int]]:
    rows = session.execute(select(ProcessInstance.version_id, func.count(),
                                  func.count().filter(ProcessInstance.status == InstanceStatus.RUNNING))
                           .group_by(ProcessInstance.version_id)).all()
    return {vid: (running, total) for vid, total, running in rows}


def _names(session, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def catalog(session, actor, process_key: str | None = None) -> list[ProcessEntry]:
    """Every process (or one) with versions, counts and open drafts — SQL only, no workflow is loaded."""
    require_viewer(actor)
    query = select(ProcessVersion).order_by(ProcessVersion.process_key, ProcessVersion.version.desc())
    drafts_q = select(ProcessDraft).where(ProcessDraft.status == DraftStatus.DRAFT).order_by(ProcessDraft.id.desc())
    if process_key:
        query = query.where(ProcessVersion.process_key == process_key)
        drafts_q = drafts_q.where(ProcessDraft.process_key == process_key)
    versions, drafts = list(session.scalars(query)), list(session.scalars(drafts_q))
    counts, names = _instance_counts(session), _names(session, [v.deployed_by for v in versions])
    entries: dict[str, ProcessEntry] = {}
    for v in versions:
        entry = entries.setdefault(v.process_key, ProcessEntry(v.process_key, v.name))
        running, total = counts.get(v.id, (0, 0))
        entry.versions.append(VersionRow(v, names.get(v.deployed_by, "系统（随程序发布）"), running, total))
    for d in drafts:  # drafts of processes never deployed are listed too
        entries.setdefault(d.process_key, ProcessEntry(d.process_key, d.name)).drafts.append(d)
    if process_key and process_key not in entries:
        raise NotFound(f"流程 {process_key} 不存在")
    return list(entries.values())


def draft_history(session, actor, process_key: str, limit: int = 50) -> list[ProcessDraft]:
    """Recent drafts of a process in any status (deployed and abandoned ones stay on record)."""
    require_viewer(actor)
    return list(session.scalars(select(ProcessDraft).where(ProcessDraft.process_key == process_key)
                                .order_by(ProcessDraft.id.desc()).limit(limit)))


def author_names(session, drafts: list[ProcessDraft]) -> dict[int, str]:
    """Display names of draft authors."""
    return _names(session, [d.author_id for d in drafts])


def editor_options() -> dict[str, list[str]]:
    """Choices the editor's properties panel offers: shipped forms and allow-listed host functions."""
    from engine.core.forms import shipped_form_files
    from engine.core.scripting import HOST_FUNCTIONS

    return {"forms": sorted(shipped_form_files()), "operators": sorted(HOST_FUNCTIONS)}
