"""Placeholder blueprint of the assignment pages (filled in by its issue)."""

from flask import Blueprint

bp = Blueprint("assignment", __name__)
