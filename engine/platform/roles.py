"""Small helpers shared by the yearly modules: local dates, role lookups, role groups."""


from sqlalchemy import select

from engine.platform.models import User, UserRole

# Roles that oversee evaluations, exits and renewals (read access); talent_center operates them.
OVERSIGHT_ROLES = ("talent_center", "quality_division", "bureau_leader", "auditor", "admin")


def users_with_role(session, role: str) -> list[int]:
    """Ids of the active users holding a role (notification recipients)."""
    return list(session.scalars(
        select(User.id).join(UserRole, UserRole.user_id == User.id).where(UserRole.role_code == role, User.active)))


def is_overseer(user) -> bool:
    """True for the roles that may read every yearly record."""
    return user.has_role(*OVERSIGHT_ROLES)
