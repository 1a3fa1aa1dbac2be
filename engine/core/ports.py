"""Calls from one procedure into another, declared by the calling package (its ports.py) and wired by
engine.bootstrap: procedures never import each other, and bootstrap.py lists every such call in one place."""

from collections.abc import Callable


class Port:
    """A named call whose implementation another package provides at start-up (engine.bootstrap.install)."""

    def __init__(self, name: str, doc: str):
        self.name, self.__doc__ = name, doc
        self._impl: Callable | None = None

    def provide(self, impl: Callable) -> None:
        """Wire the implementation (bootstrap only); re-wiring the same function is a no-op."""
        if self._impl is not None and self._impl is not impl:
            raise ValueError(f"port {self.name} is already wired")
        self._impl = impl

    def __call__(self, *args, **kwargs):
        if self._impl is None:
            raise RuntimeError(f"port {self.name} is not wired: call engine.bootstrap.install() first")
        return self._impl(*args, **kwargs)
