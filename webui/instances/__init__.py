"""Process instances and their history (compliance view)."""
