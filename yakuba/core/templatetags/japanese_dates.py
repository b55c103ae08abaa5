"""`{% load japanese_dates %}` then `{{ value|japanese_date }}`: a date as residents read it.

In Japanese ``昭和59年（1984年）4月12日`` (era first, 元年 for an era's first year, Gregorian year in
brackets); in English ``12 April 1984``. Aware datetimes are shown as their date in Japan
(Asia/Tokyo). None or "" shows nothing. The rules and the era table are in `yakuba.core.eras`.
"""

import datetime

from django import template
from django.utils.translation import get_language

from yakuba.core.eras import format_date

register = template.Library()


@register.filter
def japanese_date(value: datetime.date | str | None) -> str:
    """The date in the page's language (see `yakuba.core.eras.format_date`)."""
    return format_date(value, language=get_language() or "ja")
