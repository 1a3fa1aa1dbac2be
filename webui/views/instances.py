"""Placeholder blueprint (filled in by the instances views)."""

from flask import Blueprint

bp = Blueprint("instances", __name__)
