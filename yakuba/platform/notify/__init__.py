"""Notify (町からの通知): the platform service every module sends messages through.

Usage, from any module:

    from yakuba.platform import notify
    notify.send("reports.closed", to=report.reporter, context={"report": report})
"""

from typing import Any


def send(kind: str, **kwargs: Any) -> Any:
    """See `yakuba.platform.notify.sending.send` (imported late: this package loads before apps)."""
    from yakuba.platform.notify.sending import send as send_message

    return send_message(kind, **kwargs)
