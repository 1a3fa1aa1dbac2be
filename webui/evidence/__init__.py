"""The auditor's evidence: signed audit checkpoints (CLI; engine.core.checkpoints)."""
