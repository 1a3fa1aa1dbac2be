"""Registry of immutable process versions (engine.deploy writes them): which version new instances start on."""

from sqlalchemy import select

from engine.core.errors import NotFound
from engine.core.models import ProcessVersion


def latest_version(session, process_key: str) -> ProcessVersion:
    """The newest deployed version of a process (new instances start on it)."""
    version = session.scalars(
        select(ProcessVersion).where(ProcessVersion.process_key == process_key).order_by(ProcessVersion.version.desc())
    ).first()
    if version is None:
        raise NotFound(f"流程 {process_key} 尚未部署")
    return version
