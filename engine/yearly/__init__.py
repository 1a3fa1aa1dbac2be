"""The yearly capability: services and host functions."""
