"""The digest email: plain text and HTML from templates, no images or tracking pixels, a link to the
digest page and to the opt-out setting, handed to Django's email backend (console in the embedded
default, SMTP from the environment in production)."""
from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from .models import Digest
from .presentation import card_context


def digest_email_message(*, digest: Digest, user) -> EmailMultiAlternatives:
    base = settings.SITE_URL.rstrip("/")
    context = {**card_context(digest.payload), "digest": digest, "page_url": f"{base}/digest/{digest.id}/",
               "preferences_url": f"{base}/account/#account-digest"}
    subject = f"Your week in review: {digest.week}"
    message = EmailMultiAlternatives(subject=subject, body=render_to_string("digest/email.txt", context),
                                     from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email],
                                     headers={"List-Unsubscribe": f"<{context['preferences_url']}>"})
    message.attach_alternative(render_to_string("digest/email.html", context), "text/html")
    return message


def digest_emails_send(*, items: list[tuple[Digest, object]]) -> tuple[list[Digest], list[tuple[Digest, Exception]]]:
    """Hand each (digest, user) email to the backend over one connection. -> (sent, [(digest, error)])."""
    sent, failed = [], []
    connection = get_connection(fail_silently=False)
    with connection:
        for digest, user in items:
            try:
                connection.send_messages([digest_email_message(digest=digest, user=user)])
            except Exception as exc:  # the job retries this one; the others are not held back
                failed.append((digest, exc))
            else:
                sent.append(digest)
    return sent, failed
