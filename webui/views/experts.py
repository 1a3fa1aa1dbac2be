"""Placeholder blueprint (filled in by the experts views)."""

from flask import Blueprint

bp = Blueprint("experts", __name__)
