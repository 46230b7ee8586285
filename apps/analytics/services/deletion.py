"""Hard delete of an account: every row the user owns, in one transaction; their files by a durable job.

Order: check the password and the typed confirmation (nothing happens otherwise) → revoke exchange tokens
where the exchange supports it (network, before the transaction) → in one transaction delete every
registered table's rows (children first), the data key with them (a sealed value left in a backup can never
be opened again), the sessions, the user, and write an anonymous `account_deleted` audit row → after commit,
the user's open sockets are told to close (4401) and a job deletes the stored files until none is left.
"""
from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest

from apps.accounts.services import audit_record
from apps.core.errors import ValidationFailed
from apps.core.userdata import user_data_sets, user_delete_prepare, user_files
from apps.events.services import SOCKET_CLOSE

from .files import stored_files_delete_schedule

CONFIRMATION = "DELETE"
logger = logging.getLogger(__name__)


def account_delete(*, request: HttpRequest, password: str, confirm: str) -> dict[str, int]:
    """Delete the requesting user and everything they own; log this request out. Returns rows per table."""
    user = request.user
    if confirm != CONFIRMATION:
        raise ValidationFailed("Type DELETE to confirm.", fields={"confirm": ["Type DELETE to confirm."]})
    if not isinstance(password, str) or not password or not user.check_password(password):
        raise ValidationFailed("The password is wrong.", fields={"password": ["The password is wrong."]})
    user_delete_prepare(user)
    paths = user_files(user)
    counts: dict[str, int] = {}
    user_id = str(user.pk)
    with transaction.atomic():
        for dataset in user_data_sets():
            counts[dataset.name] = dataset.queryset(user).delete()[0]
        audit_record(user=None, action="account_deleted", meta={"rows": sum(counts.values()), "files": len(paths)})
        stored_files_delete_schedule(paths=paths, reason="account_deleted")
        transaction.on_commit(lambda: sockets_close_now(user_id=user_id))
    logout(request)
    return counts


def sockets_close_now(*, user_id: str) -> None:
    """Tell every open socket of the user to close (4401), straight on the channel layer: a deleted account's
    outbox rows went with it, and a close event left in the outbox would outlive the account. The message has
    the relay's shape and goes to the consumer's group (`user.<id>`). If the channel layer is down, each
    socket still closes at its next session check."""
    message = {"type": "outbox.event", "seq": 0, "event": {"type": SOCKET_CLOSE, "payload": {"scope": "user"}}}
    try:
        async_to_sync(get_channel_layer().group_send)(f"user.{user_id}", message)
    except Exception:
        logger.warning("could not push the socket close of a deleted account", exc_info=True)
