"""Small helpers the routes share: parsing bodies into request models, mapping errors, ETags and JSON responses."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any, TypeVar

from chalice.app import Response
from pydantic import BaseModel, ValidationError

from chalicelib.api.middleware import current_scope
from chalicelib.api.problems import problem_from_error, problem_from_validation
from chalicelib.api.schemas import ACCOUNT_ID_PATTERN
from chalicelib.domain.errors import DomainError, NotFound, PreconditionFailed, Problem, ValidationFailed

ModelT = TypeVar("ModelT", bound=BaseModel)
_ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)
_STRONG_ETAG = re.compile(r'(?:^|,)\s*"(\d{1,18})"\s*(?=,|$)')


def problem_view(view: Callable[..., Response]) -> Callable[..., Response]:
    """Routes raise domain or validation errors; this turns them into problem+json, in one place."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            return view(*args, **kwargs)
        except DomainError as error:
            current_scope().outcome = error.code
            return problem_from_error(error)
        except ValidationError as error:
            response = problem_from_validation(error)
            current_scope().outcome = json.loads(response.body)["code"]
            return response

    return wrapper


def parse_body(model: type[ModelT], raw_body: str | bytes | None) -> ModelT:
    return model.model_validate_json(raw_body or b"")


def checked_account_id(account_id: str) -> str:
    """A malformed id in a path gets exactly the 404 a missing account gets."""
    if not _ACCOUNT_ID.fullmatch(account_id):
        raise NotFound("no such account")
    return account_id


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_version(header: str | None) -> frozenset[int] | None:
    """The versions an If-Match header names (RFC 9110: strong comparison, so weak tags never match); `*` or no
    header means any. A header that names no version this service could have given out can never match: 412."""
    if header is None or header.strip() == "*":
        return None
    versions = frozenset(int(tag) for tag in _STRONG_ETAG.findall(header))
    if not versions:
        raise PreconditionFailed('If-Match must name an ETag this service gave out, such as "3"')
    return versions


def json_response(
    document: BaseModel | dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    if isinstance(document, BaseModel):
        body = document.model_dump_json(by_alias=True)
    else:
        body = json.dumps(document, separators=(",", ":"))
    return Response(body=body, status_code=status, headers={"Content-Type": "application/json", **(headers or {})})


def page_limit(raw: str | None, default: int = 50) -> int:
    """`?limit=`: a whole number from 1 to 100."""
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and 1 <= int(raw) <= 100:
        return int(raw)
    raise ValidationFailed(
        "limit must be a whole number from 1 to 100",
        (Problem(field="limit", code="invalid_value", message="must be a whole number from 1 to 100"),),
    )


def checked_path_id(value: str, pattern: re.Pattern[str], what: str) -> str:
    """A malformed id in a path gets the same 404 as a missing one."""
    if not pattern.fullmatch(value):
        raise NotFound(f"no such {what}")
    return value


def query_params(request: Any) -> dict[str, str]:
    """The query string as a plain dict (the last value of a repeated parameter wins)."""
    return dict(request.query_params or {})


def round_from_if_match(header: str | None) -> str | None:
    """A queue item's `round_id`, sent as If-Match on a decision (quotes optional); `*` or none means any."""
    if header is None or header.strip() == "*":
        return None
    return header.strip().removeprefix("W/").strip('"')
