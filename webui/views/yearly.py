"""Placeholder blueprint of the yearly pages (filled in by its issue)."""

from flask import Blueprint

bp = Blueprint("yearly", __name__)
