"""Pad an answer to a minimum time, so that how long it took does not tell whether what
was asked for exists (code verification's "not genuine", the public authorisation lookup)."""

from __future__ import annotations

import time


def pad_to_floor(t0: float, floor: float) -> float:
    """Sleep until `floor` seconds have passed since `t0` (a time.monotonic() value).
    Returns the seconds slept (0 when the work already took longer)."""
    remaining = floor - (time.monotonic() - t0)
    if remaining > 0:
        time.sleep(remaining)
        return remaining
    return 0.0
