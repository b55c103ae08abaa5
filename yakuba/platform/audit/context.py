"""Who is acting in the current request, for audit entries written below the view layer."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    user: Any
    screen: str
    ip_address: str | None


_current: ContextVar[RequestContext | None] = ContextVar("yakuba_audit_request", default=None)


def current_request_context() -> RequestContext | None:
    return _current.get()


def set_request_context(context: RequestContext | None) -> Any:
    return _current.set(context)


def reset_request_context(token: Any) -> None:
    _current.reset(token)
