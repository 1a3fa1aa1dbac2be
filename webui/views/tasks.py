"""Placeholder blueprint (filled in by the tasks views)."""

from flask import Blueprint

bp = Blueprint("tasks", __name__)
