"""Exits (Art 15, 10(4)): proposing an exit and following an exit case."""
