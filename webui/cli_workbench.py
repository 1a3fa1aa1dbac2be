"""`expertpool` commands of the workbench capability (filled in by its issue)."""


def register(group) -> None:
    """Attach this capability's commands to the CLI group."""
