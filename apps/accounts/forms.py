"""Page forms: shape only; the services decide (and their field errors land back on these forms)."""
from django import forms

from apps.core.errors import ValidationFailed

from .models import User
from .services import EMAIL_MAX_LENGTH


class ServiceErrorsMixin:
    """Copy a ValidationFailed's fields onto the form (`oldPassword` → `old_password`)."""

    field_aliases: dict[str, str] = {}

    def add_service_error(self, error: ValidationFailed) -> None:
        if not error.fields:
            self.add_error(None, error.message)
            return
        for key, messages in error.fields.items():
            name = self.field_aliases.get(key, key)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)


class CredentialsForm(ServiceErrorsMixin, forms.Form):
    email = forms.CharField(max_length=EMAIL_MAX_LENGTH, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password = forms.CharField(max_length=4096, strip=False, widget=forms.PasswordInput)


class SignupForm(CredentialsForm):
    password = forms.CharField(max_length=4096, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                               help_text="At least 8 characters; not a common or all-digit password.")


class LoginForm(CredentialsForm):
    password = forms.CharField(max_length=4096, strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class PasswordChangeForm(ServiceErrorsMixin, forms.Form):
    field_aliases = {"oldPassword": "old_password", "newPassword": "new_password"}

    old_password = forms.CharField(label="Current password", max_length=4096, strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label="New password", max_length=4096, strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))


class PreferencesForm(ServiceErrorsMixin, forms.Form):
    field_aliases = {"coachTone": "coach_tone"}

    coach_tone = forms.ChoiceField(label="Coach tone", choices=User.TONE_CHOICES)
