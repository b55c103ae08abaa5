"""`{% waiting_badge entry %}`: how many things wait for the user behind a menu card."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.translation import ngettext

from yakuba.core.registry import MenuEntry

register = template.Library()


@register.simple_tag(takes_context=True)
def waiting_badge(context: dict[str, Any], entry: MenuEntry) -> str:
    """A badge 「未読 3件」 when the entry counts waiting things and there are some (one query,
    only on the pages that show the cards)."""
    user = context.get("user")
    if entry.count_waiting is None or user is None or not user.is_authenticated:
        return ""
    count = entry.count_waiting(user)
    if not count:
        return ""
    text = ngettext("未読 %(count)d件", "未読 %(count)d件", count) % {"count": count}
    return format_html('<span class="badge">{}</span>', text)
