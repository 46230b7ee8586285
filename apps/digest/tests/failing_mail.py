"""An email backend that refuses every message, as an SMTP server that is down would."""
from smtplib import SMTPException

from django.core.mail.backends.base import BaseEmailBackend


class Backend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise SMTPException("connection refused")
