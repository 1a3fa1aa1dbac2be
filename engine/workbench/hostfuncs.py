"""Host functions and form hooks of the workbench processes (registered on import)."""
