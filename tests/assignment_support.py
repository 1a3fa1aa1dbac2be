"""Helpers for the assignment tests: a pool of experts, requests, task driving, a real local SMTP server."""

import socket
import threading
from datetime import date, timedelta

from sqlalchemy import select

from engine.assignment import services
from engine.assignment.models import WorkRequest
from engine.core.models import HumanTask
from engine.experts.models import Engagement, Expert, ExpertGroup, GroupMembership
from engine.tasks import services as task_service
from tests.support import T0, make_user

GROUP = "supervision_sampling"
START = date(2026, 3, 16)


def fixed_rng(byte: int = 7):
    """A deterministic seed source (production passes os.urandom)."""
    return lambda n: bytes([byte]) * n


def make_expert(session, name: str, unit_name: str = "", group: str = GROUP, with_user: bool = True,
                status: str = "active", specialties: str = "家用电器；电线电缆", term_end=date(2028, 12, 31)) -> Expert:
    """An admitted expert in a group, with a login account (role expert) unless with_user is False."""
    number = session.scalar(select(Expert.id).order_by(Expert.id.desc()).limit(1)) or 0
    user = make_user(session, f"expert{number + 1}", "expert", name=name) if with_user else None
    expert = Expert(
        name=name, gender="male", birth_date=date(1975, 1, 1), phone="13800000000", email=f"{name}@example.test",
        id_number=f"35010219750101{number + 1:04d}", unit_name=unit_name or f"{name}所在检验院", rank_level="none",
        title_level="vice_senior", field_years=10, work_history="检验工作", specialties=specialties,
        status=status, term_start=date(2025, 1, 1), term_end=term_end, certificate_no=f"CERT-{name}",
        user_id=user.id if user else None)
    group_row = session.scalar(select(ExpertGroup).where(ExpertGroup.code == group))
    expert.memberships = [GroupMembership(group_id=group_row.id, position="member")]
    session.add(expert)
    session.commit()
    return expert


def make_pool(session, count: int, prefix: str = "专家") -> list[Expert]:
    """`count` experts of the default group, each in their own unit."""
    return [make_expert(session, f"{prefix}{i:02d}") for i in range(count)]


def request_form(**overrides) -> dict:
    """Valid raw input of the request form (random draw of 2 experts, 1 backup)."""
    form = {
        "title": "2026年电线电缆产品监督抽查", "work_type": "spot_check", "group_code": GROUP, "n_experts": "2",
        "n_backups": "1", "backups_first": "", "specialties": "", "region": "", "region_reason": "",
        "start_date": START.isoformat(), "end_date": (START + timedelta(days=2)).isoformat(),
        "place": "福州市鼓楼区", "description": "", "parties": "福建某某电缆有限公司，91350100MA3123456D",
        "method": "random", "method_reason": "", "designated_experts": "", "external_experts": "",
        "response_hours": "",
    }
    form.update(overrides)
    return form


def create(session, unit_user, now=T0, rng=None, **overrides) -> WorkRequest:
    """Create a request through the service with a fixed seed."""
    return services.create_request(session, unit_user, request_form(**overrides), now, rng or fixed_rng())


def engagements(session, request_id: int) -> list[Engagement]:
    """The request's engagements in draw order."""
    session.expire_all()
    return list(session.scalars(select(Engagement).where(Engagement.request_id == request_id)
                                .order_by(Engagement.round, Engagement.rank, Engagement.id)))


def open_tasks(session, request: WorkRequest, bpmn_id: str | None = None) -> list[HumanTask]:
    """Open inbox rows of the request's instance (optionally one step)."""
    session.expire_all()
    query = select(HumanTask).where(HumanTask.instance_id == request.instance_id, HumanTask.state == "open")
    if bpmn_id:
        query = query.where(HumanTask.bpmn_id == bpmn_id)
    return list(session.scalars(query.order_by(HumanTask.id)))


def user_of(session, engagement: Engagement):
    """The login of an engaged pool expert."""
    from engine.platform.models import User

    return session.get(User, session.get(Expert, engagement.expert_id).user_id)


def answer(session, engagement: Engagement, values: dict, now=T0):
    """The engaged expert completes their own confirmation task."""
    user = user_of(session, engagement)
    request = session.get(WorkRequest, engagement.request_id)
    task = next(t for t in open_tasks(session, request, "confirm_availability") if t.assignee_id == user.id)
    return task_service.complete(session, task.id, user, values, {}, now)


CONFIRM = {"decision": "confirm", "no_conflict_pledge": "on"}
DECLINE = {"decision": "decline", "decline_reason": "当周已有其他出差安排"}
APPROVE_UNJUSTIFIED = {"decision": "approve", "justified": "no", "comment": "出差安排可调整，理由不充分"}
APPROVE_JUSTIFIED = {"decision": "approve", "justified": "yes", "comment": ""}
USAGE = {"completion": "completed", "professional_level": "good", "attitude": "good",
         "commitment_compliance": "complied", "comment": ""}


def complete_all(session, request: WorkRequest, bpmn_id: str, actor, values: dict, now=T0) -> int:
    """Complete every open task of one step with the same values; returns how many."""
    tasks = open_tasks(session, request, bpmn_id)
    for task in tasks:
        task_service.complete(session, task.id, actor, values, {}, now)
    return len(tasks)


class LocalSmtp:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, collecting every message it receives."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.messages = []
        self._received = threading.Event()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's handler protocol)
        """Keep the message (raw bytes) and accept it."""
        self.messages.append(envelope)
        self._received.set()
        return "250 OK"

    def start(self):
        """Start listening."""
        self.controller.start()
        return self

    def stop(self):
        """Stop listening."""
        self.controller.stop()
