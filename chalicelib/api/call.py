"""What a view gets: the request, its scope (caller, request id, metrics), the composed dependencies, path params."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chalice.app import Request, Response

from chalicelib.api.middleware import RequestScope

if TYPE_CHECKING:
    from chalicelib.api.composition import ApiDeps


@dataclass(frozen=True)
class Call:
    request: Request
    scope: RequestScope
    compose: Callable[[], ApiDeps]  # built on the first call that needs it: public routes never compose
    params: dict[str, str]
    lambda_context: Any = None
    policy_version: Callable[[], str] = lambda: ""  # the version in force, known without composing

    @property
    def deps(self) -> ApiDeps:
        return self.compose()

    def header(self, name: str) -> str | None:
        value = self.request.headers.get(name.lower())
        return None if value is None else str(value)

    def query(self) -> dict[str, str]:
        """The query string as a plain dict (the last value of a repeated parameter wins)."""
        return dict(self.request.query_params or {})


View = Callable[[Call], Response]
