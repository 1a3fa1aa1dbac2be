"""Who holds a role: the active users with a role code (notification recipients). Who may do what is
engine.platform.policy."""


from sqlalchemy import select

from engine.platform.models import User, UserRole


def users_with_role(session, role: str) -> list[int]:
    """Ids of the active users holding a role (notification recipients)."""
    return list(session.scalars(
        select(User.id).join(UserRole, UserRole.user_id == User.id).where(UserRole.role_code == role, User.active)))
