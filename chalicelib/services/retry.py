"""A short, jittered pause between optimistic retries, so racing writers do not collide again in lockstep."""

from __future__ import annotations

import random
import time


def pause_before_retry(attempt: int, base_seconds: float = 0.01) -> None:
    time.sleep(random.uniform(0, base_seconds * (2**attempt)))  # noqa: S311 - jitter, not security
