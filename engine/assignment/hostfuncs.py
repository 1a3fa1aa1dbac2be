"""Host functions and form hooks of the assignment processes (registered on import)."""
