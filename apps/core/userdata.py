"""Everything a user owns, declared by the app that owns it: the registry behind account export and delete.

Each app lists its tables in a `userdata.py` module (found automatically, like `admin.py`):

    from apps.core.userdata import user_data_register, user_files_register

    user_data_register(model="trades.Trade")                                   # rows with user = the user
    user_data_register(model="bias.BiasTag", user_path="trade__user")          # rows reached through a trade
    user_data_register(model="brokers.BrokerConnection", exclude=("access_enc", "refresh_enc"))  # never exported
    user_data_register(model="journal.Entry", transform=entry_open)            # row dict → exported row dict
                                                                               # (binary columns dropped after it)
    user_files_register(lambda user: [...storage paths...])                    # stored files (exported, deleted)
    user_delete_prepare_register(lambda user: ...)                             # before the delete (revoke tokens)

The export writes every registered table; the delete removes every registered table's rows in one transaction.
A table holding rows of a user that no app registered is a bug that a test catches (it walks the models).
Binary columns are never written to an export (sealed secrets are binary); a `transform` sees them and may
add what it opens (a journal entry's text).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps as django_apps
from django.db import models
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class UserDataSet:
    model_label: str
    user_path: str = "user"
    exclude: tuple[str, ...] = ()
    transform: Callable[[dict], dict] | None = None
    order_by: tuple[str, ...] = field(default=("pk",))

    @property
    def model(self) -> type[models.Model]:
        return django_apps.get_model(self.model_label)

    @property
    def name(self) -> str:
        """The file name of this table in an export: `trades_trade`."""
        return self.model_label.replace(".", "_").lower()

    def fields(self) -> list[models.Field]:
        """The columns read for an export: concrete fields minus the excluded ones (FKs as their id). Binary
        columns are handed to `transform` (which may open a sealed value) and never written themselves."""
        return [f for f in self.model._meta.concrete_fields
                if f.name not in self.exclude and f.attname not in self.exclude]

    def columns(self) -> list[str]:
        """The written columns when no row says otherwise: the read ones minus binary ones."""
        return [f.attname for f in self.fields() if not isinstance(f, models.BinaryField)]

    def queryset(self, user) -> models.QuerySet:
        value = user.pk if self.user_path in ("id", "pk") else user
        return self.model._default_manager.filter(**{self.user_path: value})


_sets: dict[str, UserDataSet] = {}
_files: list[Callable] = []
_prepare: list[Callable] = []
_discovered = {"done": False}


def user_data_register(*, model: str, user_path: str = "user", exclude: tuple[str, ...] = (),
                       transform: Callable[[dict], dict] | None = None,
                       order_by: tuple[str, ...] = ("pk",)) -> UserDataSet:
    """Declare a table holding the user's rows (`model` as "app_label.Model"; `user_path` the lookup to the
    user, "id" for the user table itself)."""
    dataset = UserDataSet(model_label=model, user_path=user_path, exclude=tuple(exclude), transform=transform,
                          order_by=tuple(order_by))
    _sets[model] = dataset
    return dataset


def user_files_register(callback: Callable) -> Callable:
    """`callback(user) -> list[str]`: storage paths of the user's files (exported, then deleted with the account)."""
    if callback not in _files:
        _files.append(callback)
    return callback


def user_delete_prepare_register(callback: Callable) -> Callable:
    """`callback(user) -> None`: runs before the delete transaction (e.g. revoke exchange tokens). May talk to
    the network; must not raise for what it cannot do (log it instead)."""
    if callback not in _prepare:
        _prepare.append(callback)
    return callback


def _discover() -> None:
    if not _discovered["done"]:
        autodiscover_modules("userdata")
        _discovered["done"] = True


def user_data_sets() -> list[UserDataSet]:
    """Every registered table, ordered so that a table comes before the tables it points at (a safe delete
    order: children first)."""
    _discover()
    ordered: list[UserDataSet] = []
    seen: set[str] = set()

    def visit(label: str, path: tuple[str, ...]) -> None:
        if label in seen or label in path:
            return
        dataset = _sets[label]
        for other in _sets.values():  # tables pointing at this one go first
            if other.model_label != label and any(f.is_relation and f.related_model is dataset.model
                                                  for f in other.model._meta.concrete_fields):
                visit(other.model_label, (*path, label))
        seen.add(label)
        ordered.append(dataset)

    for label in sorted(_sets):
        visit(label, ())
    return ordered


def user_files(user) -> list[str]:
    _discover()
    paths: list[str] = []
    for callback in list(_files):
        paths.extend(callback(user))
    return sorted(set(paths))


def user_delete_prepare(user) -> None:
    _discover()
    for callback in list(_prepare):
        try:
            callback(user)
        except Exception:
            logger.exception("preparing the delete of a user's data failed in %r; deleting anyway", callback)
