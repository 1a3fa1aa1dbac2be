"""The one task page for every user task (a procedure adds a context partial) and the inbox."""
