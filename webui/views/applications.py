"""Placeholder blueprint (filled in by the applications views)."""

from flask import Blueprint

bp = Blueprint("applications", __name__)
