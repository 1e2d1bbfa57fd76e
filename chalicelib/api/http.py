"""Small helpers the views share: parsing bodies into request models, path ids, ETags and JSON responses."""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

from chalice.app import Response
from pydantic import BaseModel

from chalicelib.api.schemas import ACCOUNT_ID_PATTERN
from chalicelib.domain.errors import NotFound, PreconditionFailed, Problem, ValidationFailed

ModelT = TypeVar("ModelT", bound=BaseModel)
_ACCOUNT_ID = re.compile(ACCOUNT_ID_PATTERN)
# One entity tag of an If-Match list (RFC 9110 8.8.3): optional W/, then a quoted opaque string.
_ENTITY_TAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e]*)"\s*(?:,|$)')


def parse_body(model: type[ModelT], raw_body: str | bytes | None) -> ModelT:
    return model.model_validate_json(raw_body or b"")


def checked_account_id(account_id: str) -> str:
    """A malformed id in a path gets exactly the 404 a missing account gets."""
    if not _ACCOUNT_ID.fullmatch(account_id):
        raise NotFound("no such account")
    return account_id


def checked_path_id(value: str, pattern: re.Pattern[str], what: str) -> str:
    """A malformed id in a path gets the same 404 as a missing one."""
    if not pattern.fullmatch(value):
        raise NotFound(f"no such {what}")
    return value


def etag(version: int) -> str:
    return f'"{version}"'


def strong_tags(header: str) -> frozenset[str] | None:
    """The opaque strong tags an If-Match header lists; None for `*`. Weak tags never match (strong comparison),
    and a header that is not a list of entity tags names nothing."""
    if header.strip() == "*":
        return None
    tags: set[str] = set()
    position = 0
    while position < len(header):
        match = _ENTITY_TAG.match(header, position)
        if match is None:
            return frozenset()
        if match.group(1) is None:
            tags.add(match.group(2))
        position = match.end()
    return frozenset(tags)


def if_match_version(header: str | None) -> frozenset[int] | None:
    """The versions an If-Match header names, compared as opaque strings: only `"3"` matches ETag `"3"` (never
    `"03"` or `W/"3"`). No header or `*` means any; a header that can match no ETag this service gives out is 412."""
    if header is None:
        return None
    tags = strong_tags(header)
    if tags is None:
        return None
    versions = frozenset(
        int(tag) for tag in tags if len(tag) <= 18 and tag.isascii() and tag.isdigit() and tag == str(int(tag))
    )
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
    if raw.isascii() and raw.isdigit() and len(raw) <= 3 and 1 <= int(raw) <= 100:
        return int(raw)
    raise ValidationFailed(
        "limit must be a whole number from 1 to 100",
        (Problem(field="limit", code="invalid_value", message="must be a whole number from 1 to 100"),),
    )


def query_params(request: Any) -> dict[str, str]:
    """The query string as a plain dict (the last value of a repeated parameter wins)."""
    return dict(request.query_params or {})
