"""Who holds a role (notification recipients) and the units users belong to. Who may do what is
engine.platform.policy."""


from sqlalchemy import select

from engine.platform.models import Unit, User, UserRole


def users_with_role(session, role: str) -> list[int]:
    """Ids of the active users holding a role (notification recipients)."""
    return list(session.scalars(
        select(User.id).join(UserRole, UserRole.user_id == User.id).where(UserRole.role_code == role, User.active)))


def unit_choices(session) -> list[tuple[int, str]]:
    """(id, name) of all units, for filters."""
    return [tuple(r) for r in session.execute(select(Unit.id, Unit.name).order_by(Unit.kind, Unit.id))]
