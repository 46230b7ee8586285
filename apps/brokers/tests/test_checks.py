"""System checks for the sealing keys."""
from __future__ import annotations

from apps.brokers.checks import token_keks_not_development, token_keks_valid


def test_malformed_keks_are_an_error(settings):
    settings.TOKEN_KEKS = ["missing-separator"]
    assert [m.id for m in token_keks_valid(None)] == ["brokers.E001"]


def test_configured_keks_pass(settings):
    assert token_keks_valid(None) == []
    assert token_keks_not_development(None) == []


def test_development_kek_warns_on_deploy(settings):
    settings.TOKEN_KEKS = ["local1:bG9jYWwtb25seS1rZXktZW5jcnlwdGlvbi1rZXktMDE="]
    assert [m.id for m in token_keks_not_development(None)] == ["brokers.W001"]
