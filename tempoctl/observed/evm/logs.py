"""eth_getLogs with an adaptive block window, and AccessControl role history rebuilt from events.

Providers reject, rather than truncate, oversized log queries (facts §6), each with its own limit and error
text. We start with a wide window and bisect ``[from, mid]``, ``[mid+1, to]`` whenever the node complains about
range or result size, remembering the window that worked so later windows do not pay for the search again.
Rate limits are not a reason to split: the client backs off and retries those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tempoctl.errors import RpcError
from tempoctl.observed.evm.rpc_errors import is_rate_limit

if TYPE_CHECKING:
    from tempoctl.observed.evm.client import EvmClient

ROLE_GRANTED = bytes.fromhex("2f8788117e7eff1d82e926ec794901d17c78024a50270940304540a733656f0d")
ROLE_REVOKED = bytes.fromhex("f6391f5c32d9c69d2a47ea670b442974b53935d1edc7fd64eb21e047a839171b")
ROLE_ADMIN_CHANGED = bytes.fromhex("bd79b86ffe0ab8e8776151514217cd7cacd52c909f66475c3af44e129f0b00ff")
ZERO_ROLE = bytes(32)

DEFAULT_WINDOW = 10_000
_SPLIT_WORDS = ("range", "too many", "too large", "limit", "exceed", "response size", "timeout", "timed out")


def _should_split(error: dict[str, Any]) -> bool:
    msg = str(error.get("message", "")).lower()
    return error.get("code") in (-32005, -32602) or any(w in msg for w in _SPLIT_WORDS)


def _sort_key(log: dict[str, Any]) -> tuple[int, int, int]:
    def num(v: object) -> int:
        if isinstance(v, str):
            return int(v, 16)
        return int(v) if isinstance(v, int) else 0

    return (num(log.get("blockNumber")), num(log.get("transactionIndex")), num(log.get("logIndex")))


def fetch_logs(
    client: EvmClient,
    address: str | list[str],
    topics: Sequence[object],
    from_block: int,
    to_block: int,
    *,
    window: int | None = None,
) -> list[dict[str, Any]]:
    """All logs of `address` matching `topics` in ``[from_block, to_block]`` (inclusive).

    Args:
        client: the client (its retries/backoff also apply to rate limits here).
        address: contract address or list of addresses.
        topics: the eth_getLogs topic filter (hex strings, bytes, lists of them for OR, or None).
        from_block: first block.
        to_block: last block.
        window: first window size; defaults to the size learnt on this client so far, else 10,000.

    Returns:
        Logs sorted by (blockNumber, transactionIndex, logIndex), without ``removed`` ones.

    Raises:
        RpcError: a single block is still too large, an error that is not about size, or transport failure.
    """
    if to_block < from_block:
        return []
    topic_json = [_topic(t) for t in topics]
    size = max(1, window or client.log_window)
    logs: list[dict[str, Any]] = []
    cur = from_block
    while cur <= to_block:
        end = min(to_block, cur + size - 1)
        flt = {"address": address, "topics": topic_json, "fromBlock": hex(cur), "toBlock": hex(end)}
        reply = client.batch([("eth_getLogs", [flt])])[0]
        err = reply.get("error")
        if isinstance(err, dict):
            # rate limits were already backed off and retried by client.batch; they are never a reason to split
            if not is_rate_limit(err) and _should_split(err) and end > cur:
                size = (end - cur) // 2 + 1  # [cur, mid] now, [mid+1, …] next
                client.log_window = size
                continue
            msg = str(err.get("message", ""))[:300]
            raise RpcError(
                f"eth_getLogs for blocks {cur}..{end} failed on {client.host}: {msg} (code {err.get('code')}).",
                hint="The provider may not serve logs this old or this dense; try another RPC endpoint.",
            )
        result = reply.get("result")
        if not isinstance(result, list) or not all(isinstance(x, dict) for x in result):
            raise RpcError(f"eth_getLogs on {client.host} returned a malformed result.")
        logs.extend(x for x in result if not x.get("removed"))
        cur = end + 1
    logs.sort(key=_sort_key)
    return logs


def _topic(t: object) -> object:
    if isinstance(t, (bytes, bytearray)):
        return "0x" + bytes(t).hex()
    if isinstance(t, (list, tuple)):
        return [_topic(x) for x in t]
    return t


@dataclass
class RoleLogState:
    """Role membership and role admins as replayed from events (candidates: confirm with ``hasRole``).

    Attributes:
        members: role id → accounts (checksummed) holding it after the replay.
        admins: role id → admin role id, only for roles with a RoleAdminChanged event (others: 0x00).
        last_block: the last block scanned (for incremental runs).
        events: number of role events replayed.
    """

    members: dict[bytes, set[str]] = field(default_factory=dict)
    admins: dict[bytes, bytes] = field(default_factory=dict)
    last_block: int = 0
    events: int = 0

    def admin_of(self, role: bytes) -> bytes:
        """The admin role of `role`; 0x00 when no RoleAdminChanged was seen (facts §2.5)."""
        return self.admins.get(role, ZERO_ROLE)


def replay_role_events(
    client: EvmClient, address: str, from_block: int, to_block: int, *, state: RoleLogState | None = None
) -> RoleLogState:
    """Replay RoleGranted/RoleRevoked/RoleAdminChanged of `address` over ``[from_block, to_block]``.

    OZ v5 emits these only on actual state change, so a straight replay in log order is consistent; contracts
    that grant without events are caught by the caller's ``hasRole`` confirmation.

    Args:
        client: the EVM client.
        address: the AccessControl contract.
        from_block: deployment block (or `state.last_block + 1` for an incremental run).
        to_block: the pinned block.
        state: a previous result to continue from.

    Returns:
        The role state after the replay.
    """
    from tempoctl.observed.evm.abi import checksum

    st = state or RoleLogState()
    topics = [[ROLE_GRANTED, ROLE_REVOKED, ROLE_ADMIN_CHANGED]]
    for log in fetch_logs(client, address, topics, from_block, to_block):
        t = [bytes.fromhex(str(x)[2:]) for x in log.get("topics", [])]
        if len(t) < 3:
            continue  # not an OZ role event (non-indexed variant): ignore rather than guess
        if t[0] == ROLE_ADMIN_CHANGED and len(t) >= 4:
            st.admins[t[1]] = t[3]
        elif t[0] == ROLE_GRANTED:
            st.members.setdefault(t[1], set()).add(checksum(t[2][-20:]))
        elif t[0] == ROLE_REVOKED:
            st.members.setdefault(t[1], set()).discard(checksum(t[2][-20:]))
        else:
            continue
        st.events += 1
    st.last_block = max(st.last_block, to_block)
    return st
