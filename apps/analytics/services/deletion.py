"""Hard delete of an account: every row the user owns, in one transaction; their files by a durable job.

Order: check the password and the typed confirmation (nothing happens otherwise) → revoke exchange tokens
where the exchange supports it (network, before the transaction) → in one transaction delete every
registered table's rows (children first), the data key with them (a sealed value left in a backup can never
be opened again), the sessions (open sockets re-check their session and close), the user, and write an
anonymous `account_deleted` audit row → after commit, a job deletes the stored files until none is left.
"""
from __future__ import annotations

from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest

from apps.accounts.services import audit_record
from apps.core.errors import ValidationFailed
from apps.core.userdata import user_data_sets, user_delete_prepare, user_files

from .files import stored_files_delete_schedule

CONFIRMATION = "DELETE"


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
    with transaction.atomic():
        for dataset in user_data_sets():
            counts[dataset.name] = dataset.queryset(user).delete()[0]
        audit_record(user=None, action="account_deleted", meta={"rows": sum(counts.values()), "files": len(paths)})
        stored_files_delete_schedule(paths=paths, reason="account_deleted")
    logout(request)
    return counts
