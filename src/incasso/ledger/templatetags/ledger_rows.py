"""``{% load ledger_rows %}``: the customer page's open-item rows, rendered in Python (``ledger.rendering``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString

from incasso.ledger.rendering import Formats, open_item_rows

register = template.Library()


@register.simple_tag
def item_rows(rows: Iterable[tuple], chips: Mapping[int, str], customer, can_change: bool) -> SafeString:  # type: ignore[no-untyped-def]
    """``{% item_rows items chips customer can_change %}``: the ``<tr>`` of each ``(item, days, signed amount)``."""
    dispute_url = reverse("disputes:open_case", args=[customer.pk]) if can_change else None
    return open_item_rows(rows, formats=Formats(), chips=chips, dispute_url=dispute_url)
