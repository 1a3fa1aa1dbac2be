"""Incidents: failed automatic steps for process owners and admins, with retry."""
