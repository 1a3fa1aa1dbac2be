"""JSON API of the assignment capability (filled in by its issue), mounted under /api/v1."""

from flask import Blueprint

bp = Blueprint("api_assignment", __name__, url_prefix="/api/v1")
