"""Reactions to allauth's events (another layer's): give every new sign-up a resident profile."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import user_signed_up
from django.dispatch import receiver

from yakuba.platform.accounts import services


@receiver(user_signed_up, dispatch_uid="accounts.create_resident_profile")
def create_resident_profile(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    services.ensure_resident_profile(user)
