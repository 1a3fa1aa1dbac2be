"""Tables of the workbench capability (filled in by its issue)."""
