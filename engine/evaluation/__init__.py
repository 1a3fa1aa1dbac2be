"""The yearly capability (Art 8 term, 10(4), 14, 15): evaluation campaigns, exits, renewals, self-service."""
