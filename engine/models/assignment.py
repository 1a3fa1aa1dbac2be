"""Tables of the assignment capability (filled in by its issue)."""
