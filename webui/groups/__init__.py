"""Expert groups (Art 9): composition, proposals and the history of group changes (group_change process)."""
