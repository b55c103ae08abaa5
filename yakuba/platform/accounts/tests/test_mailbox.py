"""The root conftest's `mailbox` also catches mail sent by the live server (as browser tests use it)."""

import re
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

import pytest

from yakuba.platform.accounts.tests.factories import UserFactory


@pytest.mark.django_db(transaction=True)
def test_mail_sent_by_the_live_server_arrives_in_the_mailbox(live_server: Any, mailbox) -> None:
    UserFactory.create(email="forgetful@example.jp")
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    url = f"{live_server.url}/accounts/password/reset/"
    page = opener.open(url).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None

    body = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token.group(1), "email": "forgetful@example.jp"}
    ).encode()
    opener.open(urllib.request.Request(url, data=body, headers={"Referer": url}))  # noqa: S310

    message = mailbox.wait_for(to="forgetful@example.jp")
    assert any("/accounts/password/reset/key/" in link for link in mailbox.links(message))
    assert mailbox.messages == [message]
