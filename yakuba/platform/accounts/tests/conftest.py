import pytest
from django.test import Client

from yakuba.platform.accounts.models import ResidentProfile, User
from yakuba.platform.accounts.tests.factories import ResidentProfileFactory


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Password hashing is slow on purpose; these tests create many accounts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def resident(db) -> ResidentProfile:
    return ResidentProfileFactory.create()


@pytest.fixture
def resident_client(client: Client, resident: ResidentProfile) -> Client:
    client.force_login(resident.user)
    return client


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client
