"""Cursors no store gave out: edited or malformed ones, and positions of the wrong shape sealed with the real key.

A sealed forgery stands for a leaked key or a bug: each store must still refuse it as `InvalidCursor` (never let it
reach a query). None of these positions is of a shape that either backend writes.
"""

from __future__ import annotations

import base64
from typing import Any

from chalicelib.store.cursors import CursorSealer


def tampered(cursor: str) -> list[str]:
    """Ways a client could edit or break a real cursor."""
    body, _, mac = cursor.partition(".")
    # its first character: the last one of a 16-byte seal holds 4 bits the decoder ignores ("…QA" is "…QB")
    flipped_mac = ("A" if mac[0] != "A" else "B") + mac[1:]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    edited_body = base64.urlsafe_b64encode(raw.replace(b"1", b"2") + b" ").decode().rstrip("=")
    return [
        f"{body}.{flipped_mac}",  # seal edited
        f"{edited_body}.{mac}",  # position edited, seal kept
        body,  # seal dropped
        "",
        "not-base64!!.%%%",
        "é" + cursor,
        cursor + "A" * 5000,
    ]


# Shapes wrong for every store: not a mapping or list of what a position holds, or one with values out of range.
GENERIC_FORGERIES: list[Any] = [None, [], {}, "text", 1, True, [None], {"before": None}]

HISTORY_FORGERIES: list[Any] = [
    *GENERIC_FORGERIES,
    {"before": "2"},
    {"before": True},
    {"before": 0},
    {"before": -1},
    {"before": 10**30},
    {"before": 2.5},
    {"before": 2, "extra": 1},
    [2],
]

_TIME = "2026-11-25T12:00:00+00:00"
REPORT_LIST_FORGERIES: list[Any] = [
    *GENERIC_FORGERIES,
    {"pk": {"S": "x"}},
    {"pk": "x", "sk": "y", "reporter_pk": "REPORTER#r-1", "reporter_sk": "1"},
    {"pk": {"S": "x"}, "sk": {"S": "x"}, "reporter_pk": {"S": "REPORTER#someone-else"}, "reporter_sk": {"S": "1"}},
    {"pk": {"S": ""}, "sk": {"S": "x"}, "reporter_pk": {"S": "REPORTER#r-1"}, "reporter_sk": {"S": "1"}},
    {"pk": {"S": "x"}, "sk": {"N": "1"}, "reporter_pk": {"S": "REPORTER#r-1"}, "reporter_sk": {"S": "1"}},
    ["not a time", "report-1"],
    [_TIME],
    [_TIME, ""],
    [_TIME, "x" * 3000],
    [1, 2],
]

QUEUE_FORGERIES: list[Any] = [
    *GENERIC_FORGERIES,
    {"pk": {"S": "x"}},
    {"pk": {"S": "x"}, "sk": {"S": "x"}, "queue_pk": {"S": "OTHER"}, "queue_sk": {"S": "1"}},
    {"pk": {"S": "x" * 3000}, "sk": {"S": "x"}, "queue_pk": {"S": "OPEN"}, "queue_sk": {"S": "1"}},
    {"pk": {"S": "x"}, "sk": {"S": "x"}, "queue_pk": {"S": "OPEN"}, "queue_sk": {"S": "1"}, "extra": {"S": "1"}},
    {"pk": "x", "sk": "y", "queue_pk": "OPEN", "queue_sk": "1"},
    [9, _TIME, "comment#c-1"],
    [True, _TIME, "comment#c-1"],
    ["0", _TIME, "comment#c-1"],
    [0, "not a time", "comment#c-1"],
    [0, _TIME, ""],
    [0, _TIME],
]


def sealed(sealer: CursorSealer, scope: str, position: Any) -> str:
    """A cursor sealed with the stores' key under the scope of the list it is handed to (the scopes name the list:
    `history:<account>`, `reports:<reporter>`, `queue`)."""
    return sealer.seal(scope, position)
