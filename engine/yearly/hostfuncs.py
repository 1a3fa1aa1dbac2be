"""Host functions and form hooks of the yearly processes (registered on import)."""
