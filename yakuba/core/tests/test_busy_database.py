"""SQLite's writer busy past its timeout: a clear 503 asking to try again, not a server error."""

import json

import pytest
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import include, path

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def saving(request: HttpRequest) -> HttpResponse:
    raise OperationalError("database is locked")


def broken(request: HttpRequest) -> HttpResponse:
    raise OperationalError("no such table: reservations_booking")


urlpatterns = [
    path("book/", saving),
    path("api/book/", saving),
    path("broken/", broken),
    path("", include("yakuba.config.urls")),  # the page shell's links
]


def test_a_locked_database_asks_the_visitor_to_try_again(client: Client) -> None:
    response = client.post("/book/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "ただいま混み合っています" in response.content.decode()


def test_the_api_answers_json(client: Client) -> None:
    response = client.post("/api/book/")
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "detail": "ただいま混み合っています。少し待ってから、もう一度お試しください。"
    }


def test_other_database_errors_are_not_hidden(client: Client) -> None:
    with pytest.raises(OperationalError):
        client.get("/broken/")
