"""Saved column mappings for generic CSV sources (one per user and source name)."""
from __future__ import annotations

import dataclasses

from apps.core.errors import ValidationFailed

from ..models import ColumnMappingPreset
from ..parsers import ColumnMapping, ParseError

MAPPING_FIELDS = ("timestamp", "symbol", "base", "quote", "side", "qty", "price", "fee", "fee_asset", "ext_id",
                  "timestamp_format")


def column_mapping_from_dict(data: dict) -> ColumnMapping:
    """A parser ColumnMapping from stored JSON; ValidationFailed when it cannot be one."""
    unknown = sorted(set(data) - set(MAPPING_FIELDS))
    if unknown:
        raise ValidationFailed("The column mapping has unknown fields.", fields={k: ["Unknown field."] for k in unknown})
    given = {k: v for k, v in data.items() if v not in (None, "")}
    missing = [name for name in ("timestamp", "side", "qty", "price") if name not in given]
    if "symbol" not in given and not ("base" in given and "quote" in given):
        missing.append("symbol")
    if missing:
        raise ValidationFailed("The column mapping needs a column for: " + ", ".join(missing) + ".",
                               code="invalid_mapping", fields={name: ["Required."] for name in missing})
    try:
        return ColumnMapping(**{"symbol": None, "base": None, "quote": None, **given})
    except ParseError as exc:
        raise ValidationFailed(exc.message, code="invalid_mapping") from exc
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"The column mapping is not complete: {exc}", code="invalid_mapping") from exc


def column_mapping_save(*, user, name: str, mapping: dict) -> ColumnMappingPreset:
    """Create or replace the user's mapping called `name`."""
    parsed = column_mapping_from_dict(mapping)
    stored = {k: v for k, v in dataclasses.asdict(parsed).items() if v not in (None, "")}
    preset, _ = ColumnMappingPreset.objects.update_or_create(user=user, name=name, defaults={"mapping": stored})
    return preset
