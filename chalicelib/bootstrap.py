"""The one wiring point: the policy, the clock and the stores, built lazily on first use.

Tests and the local stack replace any of them with `override(...)`; a cold start pays only for what a request uses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalicelib.config import get_config

if TYPE_CHECKING:
    from chalicelib.policy import Policy
    from chalicelib.store.settings_store import SettingsStore

Clock = Callable[[], datetime]

_overrides: dict[str, Any] = {}
_built: dict[str, Any] = {}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def override(**components: Any) -> None:
    """Replace components (`clock`, `policy`, `settings_store`, ...) until `reset()`."""
    _overrides.update(components)


def reset() -> None:
    _overrides.clear()
    _built.clear()


def _get(name: str, build: Callable[[], Any]) -> Any:
    if name in _overrides:
        return _overrides[name]
    if name not in _built:
        _built[name] = build()
    return _built[name]


def clock() -> Clock:
    result: Clock = _get("clock", lambda: _utc_now)
    return result


def policy() -> Policy:
    from chalicelib.policy import load_policy

    result: Policy = _get("policy", load_policy)
    return result


def settings_store() -> SettingsStore:
    from chalicelib.store.settings_store import SettingsStore

    result: SettingsStore = _get("settings_store", lambda: SettingsStore(get_config().settings_table))
    return result
