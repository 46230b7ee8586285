"""System checks: the key-encryption keys must parse; production must not use the development key."""
from __future__ import annotations

from django.core import checks

DEVELOPMENT_KEKS = {"local1:bG9jYWwtb25seS1rZXktZW5jcnlwdGlvbi1rZXktMDE="}


@checks.register(checks.Tags.security)
def token_keks_valid(app_configs, **kwargs):
    from .sealing import SealError, keyring

    try:
        keyring()
    except SealError as exc:
        return [checks.Error(f"TOKEN_KEKS is not usable: {exc}", id="brokers.E001",
                             hint="Set TOKEN_KEKS to 'key-id:base64(32 random bytes)' entries, newest last.")]
    return []


@checks.register(checks.Tags.security, deploy=True)
def token_keks_not_development(app_configs, **kwargs):
    from django.conf import settings

    entries = settings.TOKEN_KEKS if not isinstance(settings.TOKEN_KEKS, str) else settings.TOKEN_KEKS.split(",")
    if DEVELOPMENT_KEKS & {str(e).strip() for e in entries}:
        return [checks.Warning("TOKEN_KEKS contains the built-in development key; sealed tokens would be "
                               "readable by anyone with the source.", id="brokers.W001",
                               hint="Generate a key: python -c \"import os,base64;"
                                    "print(base64.b64encode(os.urandom(32)).decode())\"")]
    return []


@checks.register()
def market_data_fallback_known(app_configs, **kwargs):
    from django.conf import settings

    from .adapters.ccxt_market import fallback_exchange_id

    value = (settings.MARKET_DATA_FALLBACK or "").strip()
    if value and fallback_exchange_id(value) is None:
        return [checks.Warning(f"MARKET_DATA_FALLBACK={value!r} names no exchange ccxt knows; it is ignored.",
                               id="brokers.W002", hint="Use ccxt:<exchange id>, e.g. ccxt:kraken, or leave it empty.")]
    return []
