"""Account fixtures and factories."""
from __future__ import annotations

import factory
import pytest
from rest_framework.test import APIClient

from .models import User

DEFAULT_PASSWORD = "correct-horse-battery-staple-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"trader{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


@pytest.fixture
def user(db) -> User:
    return UserFactory()


@pytest.fixture
def other_user(db) -> User:
    return UserFactory()


@pytest.fixture
def api_client(user) -> APIClient:
    """Logged-in client for `user` (CSRF not enforced; see csrf_client for that path)."""
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def other_api_client(other_user) -> APIClient:
    client = APIClient()
    client.force_login(other_user)
    return client
