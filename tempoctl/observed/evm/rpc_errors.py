"""What a node's JSON-RPC error object means to a caller that may retry: a rate limit is waited out, never
split or reported.

Shared by the client (which backs off and resends) and `logs.py` (which must not shrink its block window for
a rate limit): a module of its own so that logs.py does not import the client that imports it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def is_rate_limit(error: Mapping[str, Any]) -> bool:
    msg = str(error.get("message", "")).lower()
    return error.get("code") == 429 or "rate limit" in msg or "too many requests" in msg
