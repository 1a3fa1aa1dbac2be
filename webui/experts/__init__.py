"""The expert roster: search and records (staff), and the expert's own page (self-service)."""
