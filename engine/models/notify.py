"""In-app notifications and the e-mail outbox (filled in by the assignment issue)."""
