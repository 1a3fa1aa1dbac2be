"""The workbench capability: services and host functions."""
