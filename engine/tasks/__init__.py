"""The one task page and instance history: claim, complete, bulk, and their read models (UI and API)."""
