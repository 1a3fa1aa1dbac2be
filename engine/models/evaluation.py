"""Tables of the evaluation capability (filled in by its issue)."""
