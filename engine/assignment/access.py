"""Who may see what of an assignment request (Art 13 sealing): access levels and the steps sealed from a viewer.

"full" — the requesting unit, talent_center and auditors — see the drawn names, the draw record and the process
history; "sealed" — the bureau leader, the quality division, admin — see the request with the names, the seed,
the candidates' hash and the pool size sealed (with the expert list those would rebuild the candidate list and so
the drawn names); "expert" — a drawn expert — sees their own engagement only.
"""

from sqlalchemy import select

from engine.assignment.models import WorkRequest
from engine.core.errors import Forbidden, NotFound
from engine.experts.models import Engagement, Expert
from engine.platform import policy

# Steps whose completed tasks name a drawn expert (their answer, the unit's record of their work): sealed from
# everyone without "full" access, like the names on the request page.
SEALED_STEPS = frozenset({"confirm_availability", "record_usage"})


def access(session, viewer, request: WorkRequest) -> str:
    """"full" (names), "sealed" (no names) or "expert" (own engagement only); 403 otherwise."""
    if policy.allows(viewer, policy.SEE_DRAWN_NAMES) or (
            policy.allows(viewer, policy.VIEW_OWN_UNIT) and viewer.unit_id == request.unit_id):
        return "full"
    if policy.allows(viewer, policy.VIEW_ALL_REQUESTS):
        return "sealed"
    if own_engagement(session, viewer, request.id) is not None:
        return "expert"
    raise Forbidden("您无权查看该用人申请")


def own_engagement(session, viewer, request_id: int) -> Engagement | None:
    """The viewer's own engagement on a request (as a pool expert), if any."""
    return session.scalar(select(Engagement).join(Expert, Expert.id == Engagement.expert_id).where(
        Engagement.request_id == request_id, Expert.user_id == viewer.id).order_by(Engagement.id.desc()).limit(1))


def get_request(session, viewer, request_id: int) -> tuple[WorkRequest, str]:
    """The request and the viewer's access level (404 unknown, 403 not allowed)."""
    request = session.get(WorkRequest, request_id)
    if request is None:
        raise NotFound("用人申请不存在")
    return request, access(session, viewer, request)


def sealed_steps(session, viewer, instance) -> frozenset[str]:
    """The steps of an assignment instance sealed from the viewer: none for "full" access, else SEALED_STEPS
    (engine.core.hooks: the instance history is then refused and task pages leave those steps out)."""
    request = session.scalar(select(WorkRequest).where(WorkRequest.instance_id == instance.id))
    if request is None:
        return frozenset()
    try:
        level = access(session, viewer, request)
    except Forbidden:
        level = None
    return frozenset() if level == "full" else SEALED_STEPS
