"""What the diagrams show: one instance's completed / active / waiting elements (saved with each step), and
per-element counts of open tasks over all instances of a version (a heat view); SQL only, no workflow loaded."""

from SpiffWorkflow.util.task import TaskState as SpiffTaskState
from sqlalchemy import func, select

from engine.core.models import HumanTask, ProcessInstance, ProcessVersion
from engine.core.status import InstanceStatus, TaskState

STATES = {"completed": SpiffTaskState.COMPLETED, "active": SpiffTaskState.READY | SpiffTaskState.STARTED,
          "waiting": SpiffTaskState.WAITING}


def _bpmn_ids(tasks) -> list[str]:
    return sorted({t.task_spec.bpmn_id for t in tasks if getattr(t.task_spec, "bpmn_id", None)})


def instance_marks(instance: ProcessInstance) -> dict[str, list[str]]:
    """BPMN ids of the instance's completed, active (ready/started) and waiting elements, as saved with its last
    step (no workflow is loaded). The caller has authorized the viewer."""
    return instance.element_marks or {"completed": [], "active": [], "waiting": []}


def version_xml(session, version_id: int) -> str:
    """The BPMN XML of a version (deferred column loaded on demand)."""
    return session.scalar(select(ProcessVersion.bpmn_xml).where(ProcessVersion.id == version_id)) or ""


def heat(session, version_id: int) -> dict[str, int]:
    """Open user tasks per BPMN element over the running instances of one version (one SQL query)."""
    rows = session.execute(
        select(HumanTask.bpmn_id, func.count())
        .join(ProcessInstance, ProcessInstance.id == HumanTask.instance_id)
        .where(HumanTask.state == TaskState.OPEN, ProcessInstance.version_id == version_id,
               ProcessInstance.status == InstanceStatus.RUNNING)
        .group_by(HumanTask.bpmn_id)).all()
    return {bpmn_id: count for bpmn_id, count in rows}
