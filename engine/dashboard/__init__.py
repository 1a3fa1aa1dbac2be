"""Dashboards for the talent center, the quality division and the leaders: counts read across the procedures."""
