"""Renewals (Art 8): the renewal case page."""
