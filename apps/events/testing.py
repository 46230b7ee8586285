"""Fixtures for this app (collected through the root conftest)."""
