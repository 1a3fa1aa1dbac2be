"""Everything one workbench page shows, gathered by one call (read-only; the views stay thin)."""

from dataclasses import dataclass, field

from sqlalchemy import select

from engine.core.models import ProcessInstance, ProcessVersion
from engine.deploy import catalog, diagram, drafts, migrate
from engine.deploy.diff import BundleDiff, diff_bundles
from engine.deploy.models import ProcessDraft


@dataclass
class ProcessPage:
    """A process: versions, draft history with authors, and the heat view of one version."""

    entry: catalog.ProcessEntry
    chosen: int | None
    xml: str
    heat: dict[str, int]
    history: list[ProcessDraft]
    authors: dict[int, str]


def process_page(session, actor, key: str, version_id: int | None = None) -> ProcessPage:
    """The process page (404 for an unknown process, 403 unless owner/auditor)."""
    entry, = catalog.catalog(session, actor, key)
    ids = {r.version.id for r in entry.versions}
    chosen = version_id if version_id in ids else (entry.latest.id if entry.latest else None)
    history = catalog.draft_history(session, actor, key)
    return ProcessPage(entry, chosen, diagram.version_xml(session, chosen) if chosen else "",
                       diagram.heat(session, chosen) if chosen else {}, history, catalog.author_names(session, history))


@dataclass
class DiffPage:
    """A draft against a deployed version of its process (None when the process was never deployed)."""

    draft: ProcessDraft
    entry: catalog.ProcessEntry
    base: ProcessVersion | None = None
    result: BundleDiff | None = None


def diff_page(session, actor, draft_id: int, version_id: int | None = None) -> DiffPage:
    """Compare the draft with `version_id`, else the version it is based on, else the latest one."""
    draft = drafts.get_draft(session, actor, draft_id)
    if session.scalar(select(ProcessVersion.id).where(ProcessVersion.process_key == draft.process_key)
                      .limit(1)) is None:
        return DiffPage(draft, catalog.ProcessEntry(draft.process_key, draft.name))
    entry, = catalog.catalog(session, actor, draft.process_key)
    ids = {r.version.id for r in entry.versions}
    base_id = next(i for i in (version_id, draft.base_version_id, entry.latest.id) if i in ids)
    base = drafts.get_version(session, actor, base_id)
    result = diff_bundles(base.bpmn_xml, base.dmn_files or {}, draft.bpmn_xml, draft.dmn_files or {})
    return DiffPage(draft, entry, base, result)


@dataclass
class MigrationPage:
    """The versions of a process and its running instances."""

    entry: catalog.ProcessEntry
    instances: list[ProcessInstance] = field(default_factory=list)


def migration_page(session, actor, key: str) -> MigrationPage:
    """Versions and running instances for the migration form (owners only)."""
    drafts.require_owner(actor)
    entry, = catalog.catalog(session, actor, key)
    return MigrationPage(entry, migrate.running_instances(session, actor, key))
