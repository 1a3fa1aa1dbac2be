"""Importing this module registers every allow-listed host function and form hook."""

from engine.assignment import hostfuncs as _assignment  # noqa: F401  (registration side effects)
from engine.scripting import HOST_FUNCTIONS
from engine.services import admission, admit  # noqa: F401
from engine.workbench import hostfuncs as _workbench  # noqa: F401
from engine.yearly import hostfuncs as _yearly  # noqa: F401

__all__ = ["HOST_FUNCTIONS"]
