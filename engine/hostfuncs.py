"""Importing this module registers every allow-listed host function and form hook."""

from engine.scripting import HOST_FUNCTIONS
from engine.services import admission, admit  # noqa: F401  (registration side effects)

__all__ = ["HOST_FUNCTIONS"]
