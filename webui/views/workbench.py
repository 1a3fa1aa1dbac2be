"""Placeholder blueprint of the workbench pages (filled in by its issue)."""

from flask import Blueprint

bp = Blueprint("workbench", __name__)
