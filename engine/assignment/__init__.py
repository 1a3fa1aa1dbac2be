"""The assignment capability: services and host functions."""
