"""EVM JSON-RPC client: batched reads, the low-level send side, and retries that never leak a traceback.

HTTP layer: one `requests.Session` (requests is a web3 dependency) posting JSON-RPC bodies we build ourselves.
web3 8's `HTTPProvider.make_batch_request` does not retry batches, raises `requests.HTTPError` whose text holds
the full URL (API keys in the path/query), warns and falls back to arrival order when ids are missing, and
hides how many HTTP requests were made; building the bodies here gives exact `round_trips`, id matching, raw
revert data from `error.data`, and one place that classifies failures. ABI, addresses and signing stay with
eth_abi / eth_account; `EvmClient.w3` offers a `Web3(HTTPProvider(url))` on the same session for callers that
want web3 helpers (those requests are not counted).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from tempoctl.errors import ChainMismatchError, RpcError, TempoctlError
from tempoctl.observed.evm.reverts import Revert, hex_bytes, revert_data
from tempoctl.observed.evm.rpc_errors import is_rate_limit

__all__ = [  # Revert is re-exported: the apply side catches it from here
    "BlockRef",
    "CallResult",
    "EthCall",
    "EvmClient",
    "FeeFields",
    "ReceiptTimeout",
    "Revert",
    "RpcResponseError",
    "safe_host",
]

if TYPE_CHECKING:
    from web3 import Web3

JsonDict = dict[str, Any]
_CONN_WORDS = (
    ("refused", "connection refused"),
    ("reset", "connection reset"),
    ("resolve", "name not resolved"),
)
_TRANSIENT_HTTP = {408, 425, 429, 500, 502, 503, 504, 520, 521, 522, 523, 524}


@dataclass(frozen=True)
class EthCall:
    """One `eth_call`: target, calldata and optional ``from``."""

    to: str
    data: bytes
    sender: str | None = None


@dataclass(frozen=True)
class CallResult:
    """Outcome of one `eth_call`: `data` is the return data, or the revert data when `ok` is False."""

    ok: bool
    data: bytes


@dataclass(frozen=True)
class BlockRef:
    """A block pinned by number and hash, with its timestamp (seconds)."""

    number: int
    hash: str
    timestamp: int


@dataclass(frozen=True)
class FeeFields:
    """Fee fields for a transaction: EIP-1559 when the node reports a base fee, legacy `gas_price` otherwise."""

    max_fee_per_gas: int | None = None
    max_priority_fee_per_gas: int | None = None
    gas_price: int | None = None

    def tx_fields(self) -> dict[str, int]:
        """The fields as eth_account transaction keys (``maxFeePerGas``… or ``gasPrice``)."""
        if self.gas_price is not None:
            return {"gasPrice": self.gas_price}
        assert self.max_fee_per_gas is not None and self.max_priority_fee_per_gas is not None
        return {"maxFeePerGas": self.max_fee_per_gas, "maxPriorityFeePerGas": self.max_priority_fee_per_gas}


class RpcResponseError(RpcError):
    """The node answered with a JSON-RPC error that is not an execution revert (code, message kept)."""

    def __init__(self, summary: str, *, code: int | None, message: str, data: object = None) -> None:
        super().__init__(summary)
        self.code, self.message, self.data = code, message, data


FEE_READS: list[tuple[str, list[Any]]] = [
    ("eth_getBlockByNumber", ["latest", False]),
    ("eth_gasPrice", []),
    ("eth_maxPriorityFeePerGas", []),
]
"""What `fee_fields` reads; the block also gives the block gas limit (`gas_limit_from`)."""

PROGRESS_EVERY = 10.0  # seconds between progress lines of a receipt wait


class ReceiptTimeout(RpcError):
    """Some transactions had no receipt before the deadline; `found` holds the receipts that did arrive."""

    def __init__(self, summary: str, found: dict[str, JsonDict], missing: list[str]) -> None:
        super().__init__(
            summary, hint="They may still be mined; run apply again to settle them from the journal."
        )
        self.found, self.missing = found, missing


class _Transient(Exception):
    """A failure worth retrying; `what` is safe to print (no URL), `wait` an optional server hint."""

    def __init__(self, what: str, wait: float = 0.0) -> None:
        super().__init__(what)
        self.what, self.wait = what, wait


def safe_host(url: str) -> str:
    """``host[:port]`` of `url` without scheme, credentials, path or query (which can hold API keys)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        return f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return "<unparseable URL>"


def _hex(n: int | str) -> str:
    return hex(n) if isinstance(n, int) else n


class EvmClient:
    """Batched JSON-RPC access to one EVM node.

    Attributes:
        round_trips: HTTP requests actually made (a batch counts once; retries count).
        requests: JSON-RPC calls sent (a batch of 100 counts 100; retries count).
    """

    def __init__(
        self,
        url: str,
        *,
        batching: bool = True,
        max_batch: int = 1000,
        retries: int = 4,
        backoff: float = 0.2,
        timeout: float = 30,
    ) -> None:
        self.url, self.host = url, safe_host(url)
        self.batching, self.max_batch = batching, max(1, max_batch)
        self.retries, self.backoff, self.timeout = max(0, retries), backoff, timeout
        self.round_trips = 0
        self.log_window = 10_000  # eth_getLogs window, narrowed by logs.fetch_logs when the node objects
        self.requests = 0
        self._next_id = 1
        self._session = requests.Session()
        self._session.headers.update({"Content-Type": "application/json", "User-Agent": "tempoctl"})
        self._w3: Web3 | None = None

    # ---- transport -------------------------------------------------------------------------------------------

    @property
    def w3(self) -> Web3:
        """A web3 `Web3(HTTPProvider(url))` sharing this client's session (imported on first use)."""
        if self._w3 is None:
            from web3 import HTTPProvider, Web3

            self._w3 = Web3(
                HTTPProvider(self.url, session=self._session, request_kwargs={"timeout": self.timeout})
            )
        return self._w3

    def close(self) -> None:
        """Close the HTTP session."""
        self._session.close()

    def _fail(self, what: str, attempts: int) -> RpcError:
        return RpcError(
            f"The RPC endpoint {self.host} failed: {what}"
            + (f" (gave up after {attempts} attempts)." if attempts > 1 else "."),
            hint="Check that the node is up and the RPC URL is right, or try again later.",
        )

    def _post_once(self, body: bytes) -> Any:
        from tempoctl.observed import rpchealth

        ok = False
        try:
            parsed = self._post_raw(body)
            ok = True
            return parsed
        finally:  # every HTTP request counts towards the network's error rate (drift --prometheus)
            rpchealth.record(self.url, ok)

    def _post_raw(self, body: bytes) -> Any:
        self.round_trips += 1
        try:
            resp = self._session.post(self.url, data=body, timeout=self.timeout)
        except (
            requests.exceptions.InvalidURL,
            requests.exceptions.MissingSchema,
            requests.exceptions.InvalidSchema,
        ):
            raise RpcError(
                f"The RPC URL for {self.host} is not a valid http(s) URL.", hint="Check the RPC URL setting."
            ) from None
        except requests.Timeout:
            raise _Transient(f"no answer within {self.timeout:g} s") from None
        except requests.RequestException as e:
            text = str(e).lower()
            kinds = [k for w, k in _CONN_WORDS if w in text] + [f"connection error ({type(e).__name__})"]
            raise _Transient(kinds[0]) from None
        with resp:
            content, status, retry_after = resp.content, resp.status_code, resp.headers.get("Retry-After", "")
        try:
            parsed = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            parsed = None
        if status == 413:
            raise _BatchRejected({"code": 413, "message": "HTTP 413 (request too large)"})
        if status >= 400 and not (isinstance(parsed, (dict, list)) and parsed and status in (400, 500)):
            if status in _TRANSIENT_HTTP:
                wait = float(retry_after) if retry_after.replace(".", "", 1).isdigit() else 0.0
                raise _Transient(f"HTTP {status}", wait=min(wait, 10.0))
            raise RpcError(
                f"The RPC endpoint {self.host} answered HTTP {status}.",
                hint="Check the RPC URL and any API key it needs.",
            )
        if parsed is None:
            raise _Transient(f"a response that is not JSON ({len(content)} bytes)")
        return parsed

    def _exchange(self, batch: list[tuple[str, list[Any]]], as_batch: bool) -> list[JsonDict]:
        """Send `batch` in one HTTP request (retrying transient failures) and return replies in input order."""
        attempts = 0
        while True:
            attempts += 1
            ids = list(range(self._next_id, self._next_id + len(batch)))
            self._next_id += len(batch)
            msgs = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in zip(ids, batch)]
            self.requests += len(batch)
            try:
                payload = json.dumps(msgs if as_batch else msgs[0]).encode()
                return self._match(self._post_once(payload), ids, as_batch)
            except _Transient as t:
                if attempts > self.retries:
                    raise self._fail(t.what, attempts) from None
                time.sleep(max(t.wait, self.backoff * (2 ** (attempts - 1))))

    def _match(self, parsed: Any, ids: list[int], as_batch: bool) -> list[JsonDict]:
        if not as_batch and isinstance(parsed, dict):
            parsed = [parsed]
        if as_batch and isinstance(parsed, dict):
            if len(ids) == 1 and parsed.get("id") == ids[0]:
                parsed = [parsed]  # a node that unwraps one-element batches
            elif "error" in parsed:
                raise _BatchRejected(parsed["error"])
        if not isinstance(parsed, list):
            raise _Transient("a response of the wrong shape")
        by_id: dict[int, JsonDict] = {}
        for item in parsed:
            if (
                isinstance(item, dict)
                and isinstance(item.get("id"), int)
                and item.keys() & {"result", "error"}
            ):
                by_id[item["id"]] = item
        lone = parsed[0] if not as_batch and len(parsed) == 1 else None
        if isinstance(lone, dict) and lone.get("id") is None and isinstance(lone.get("error"), dict):
            by_id[ids[0]] = lone  # some nodes drop the id on errors
        if any(i not in by_id for i in ids):
            raise _Transient("a response whose ids do not match the request")
        out = [by_id[i] for i in ids]
        if any("error" in r and not isinstance(r["error"], dict) for r in out):
            raise _Transient("an error object of the wrong shape")
        return out

    def batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[JsonDict]:
        """Run JSON-RPC calls, one HTTP request per chunk of `max_batch` (one per call with batching off).

        Calls answered with a rate-limit error are backed off and resent; a provider that rejects a whole
        batch (too large) gets it again in halves. Replies are returned in input order, matched by id.

        Args:
            calls: (method, params) pairs.

        Returns:
            The raw reply objects (each with ``result`` or ``error``).

        Raises:
            RpcError: the endpoint failed after retries, or answered garbage.
        """
        out: list[JsonDict | None] = [None] * len(calls)
        pending = list(range(len(calls)))
        for attempt in range(self.retries + 1):
            limited: list[int] = []
            size = self.max_batch if self.batching else 1
            for start in range(0, len(pending), size):
                chunk = pending[start : start + size]
                for idx, reply in zip(chunk, self._send_chunk([calls[i] for i in chunk])):
                    out[idx] = reply
                    if isinstance(reply.get("error"), dict) and is_rate_limit(reply["error"]):
                        limited.append(idx)
            if not limited:
                break
            pending = limited
            if attempt < self.retries:
                time.sleep(self.backoff * (2**attempt))
        return [r for r in out if r is not None]

    def _send_chunk(self, chunk: list[tuple[str, list[Any]]]) -> list[JsonDict]:
        try:
            return self._exchange(chunk, as_batch=self.batching)
        except _BatchRejected as e:
            if len(chunk) == 1:
                return [{"error": e.error}]
            half = len(chunk) // 2
            self.max_batch = max(1, min(self.max_batch, half))
            return self._send_chunk(chunk[:half]) + self._send_chunk(chunk[half:])

    def request(self, method: str, params: list[Any]) -> Any:
        """One JSON-RPC call; returns ``result``.

        Raises:
            Revert: the call is an execution revert (eth_call / eth_estimateGas).
            RpcResponseError: any other JSON-RPC error.
            RpcError: transport failure after retries.
        """
        reply = self.batch([(method, params)])[0]
        if "error" in reply:
            raise self._error(method, reply["error"])
        return reply.get("result")

    def _error(self, method: str, error: Mapping[str, Any]) -> TempoctlError:
        data = revert_data(error)
        if data is not None:
            return Revert(data, str(error.get("message", "")))
        code = error.get("code")
        message = str(error.get("message", ""))[:300]
        return RpcResponseError(
            f"{method} failed on {self.host}: {message} (code {code}).",
            code=code,
            message=message,
            data=error.get("data"),
        )

    # ---- reads -----------------------------------------------------------------------------------------------

    def chain_id(self) -> int:
        """The chain id the node reports (``eth_chainId``)."""
        return _int(self.request("eth_chainId", []), "eth_chainId", self.host)

    def check_chain(self, expected: int, where: str) -> int:
        """Refuse to go on when the node is another chain than `where` declares.

        Raises:
            ChainMismatchError: the chain ids differ.
        """
        actual = self.chain_id()
        if actual != expected:
            raise ChainMismatchError(
                f"Connected to chain {actual} but {where} expects {expected}. Check the RPC URL."
            )
        return actual

    def block(self, tag: str | int = "latest") -> BlockRef:
        """Number, hash and timestamp of a block, to pin every later read to it.

        Raises:
            RpcError: the block does not exist or the reply is malformed.
        """
        b = self.request("eth_getBlockByNumber", [_hex(tag), False])
        if not isinstance(b, dict):
            raise RpcError(f"Block {tag} not found on {self.host}.")
        return BlockRef(
            _int(b.get("number"), "block", self.host),
            str(b.get("hash")),
            _int(b.get("timestamp"), "block", self.host),
        )

    def call_many(self, calls: Sequence[EthCall], block: int | str) -> list[CallResult]:
        """Run many `eth_call`s at one block, in as few HTTP requests as `max_batch` allows.

        Args:
            calls: the calls.
            block: block number or tag; pin a number so every read sees the same state.

        Returns:
            One `CallResult` per call, in input order; reverts are results (``ok=False``), not exceptions.

        Raises:
            RpcError: transport failure, or a JSON-RPC error that is not a revert (e.g. unknown block).
        """
        return self.read_batch(calls, block)[0]

    def read_batch(self, calls: Sequence[EthCall], block: int | str,
                   extra: Sequence[tuple[str, list[Any]]] = ()) -> tuple[list[CallResult], list[JsonDict]]:
        """`call_many`, with other read requests (`eth_getCode` of every declared contract) riding in the
        same JSON-RPC batch, so checking them costs no round trip. Returns the call results and the raw
        replies to `extra`, in order."""
        tag = _hex(block)
        methods: list[tuple[str, list[Any]]] = []
        for c in calls:
            tx: JsonDict = {"to": c.to, "data": "0x" + bytes(c.data).hex()}
            if c.sender:
                tx["from"] = c.sender
            methods.append(("eth_call", [tx, tag]))
        replies = self.batch([*methods, *extra])
        results = []
        for reply in replies[: len(methods)]:
            if "error" in reply:
                data = revert_data(reply["error"])
                if data is None:
                    raise self._error("eth_call", reply["error"])
                results.append(CallResult(False, data))
            elif isinstance(reply.get("result"), str):
                results.append(CallResult(True, hex_bytes(reply["result"])))
            else:
                raise RpcError(f"eth_call on {self.host} returned a non-hex result.")
        return results, replies[len(methods):]

    def get_code(self, address: str, block: int | str = "latest") -> bytes:
        """Deployed code at `address` (``b""`` for an account without code)."""
        return hex_bytes(self.request("eth_getCode", [address, _hex(block)]))

    def get_logs(
        self, address: str | list[str], topics: Sequence[object], from_block: int, to_block: int
    ) -> list[JsonDict]:
        """Logs in ``[from_block, to_block]`` with the adaptive window of facts §6 (see `logs.fetch_logs`)."""
        from tempoctl.observed.evm.logs import fetch_logs

        return fetch_logs(self, address, topics, from_block, to_block)

    # ---- send side -------------------------------------------------------------------------------------------

    def get_balance(self, address: str, block: int | str = "latest") -> int:
        """Native balance in wei. Tempo has no native token (facts §17): check the fee token instead there."""
        return _int(self.request("eth_getBalance", [address, _hex(block)]), "eth_getBalance", self.host)

    def nonce(self, address: str, block: int | str = "pending") -> int:
        """Transaction count of `address`, by default including pending transactions."""
        return _int(self.request("eth_getTransactionCount", [address, _hex(block)]), "nonce", self.host)

    def estimate_gas(self, tx: Mapping[str, Any]) -> int:
        """``eth_estimateGas`` for a transaction dict (ints and bytes are hex-encoded for the node).

        Raises:
            Revert: the transaction would revert; `.data` is the raw revert data.
        """
        return _int(self.request("eth_estimateGas", [_tx_json(tx)]), "eth_estimateGas", self.host)

    def gas_price(self) -> int:
        """``eth_gasPrice`` in wei (or fee-token units per gas on Tempo)."""
        return _int(self.request("eth_gasPrice", []), "eth_gasPrice", self.host)

    def fee_fields(self, tip_default: int = 0) -> FeeFields:
        """Fee fields for the next transaction, read in one round trip.

        EIP-1559 (max fee = 2 × base fee + tip) when the latest block has ``baseFeePerGas``; legacy
        ``gasPrice`` otherwise. A node without ``eth_maxPriorityFeePerGas`` gets `tip_default`.
        """
        return self.fees_from(self.batch(FEE_READS), tip_default)

    def fees_from(self, replies: Sequence[JsonDict], tip_default: int = 0) -> FeeFields:
        """`fee_fields` from the replies to `FEE_READS` (in that order), so a caller can put those three reads
        in a larger batch of its own (apply reads them with a wave's simulations and nonces)."""
        blk, price, tip = replies
        block = blk.get("result")
        if isinstance(block, dict) and block.get("baseFeePerGas") is not None:
            base = _int(block["baseFeePerGas"], "baseFeePerGas", self.host)
            prio = _int(tip["result"], "tip", self.host) if "result" in tip else tip_default
            return FeeFields(max_fee_per_gas=2 * base + prio, max_priority_fee_per_gas=prio)
        if "error" in price:
            raise self._error("eth_gasPrice", price["error"])
        return FeeFields(gas_price=_int(price.get("result"), "eth_gasPrice", self.host))

    def gas_limit_from(self, reply: JsonDict) -> int:
        """The block gas limit in the reply to ``eth_getBlockByNumber`` (the first of `FEE_READS`): how much
        gas the transactions of one block may reserve in all. Read from the node, never assumed.

        Raises:
            RpcError: no block, or no usable ``gasLimit`` in it.
        """
        block = reply.get("result")
        if not isinstance(block, dict):
            raise RpcError(f"{self.host} returned no latest block.")
        limit = _int(block.get("gasLimit"), "block gasLimit", self.host)
        if limit <= 0:
            raise RpcError(f"{self.host} reports a block gas limit of {limit}.")
        return limit

    def send_raw(self, raw: bytes) -> str:
        """Broadcast a signed transaction; returns its hash (see `send_raw_many`).

        Raises:
            RpcResponseError: the node rejected it (underpriced, nonce too low for another tx, …).
        """
        [out] = self.send_raw_many([raw])
        if isinstance(out, RpcResponseError):
            raise out
        return out

    def send_raw_many(self, raws: Sequence[bytes]) -> list[str | RpcResponseError]:
        """Broadcast signed transactions in one JSON-RPC batch (per `max_batch`), in order; per transaction
        its hash, or the node's refusal as an `RpcResponseError` (returned, not raised: the others of the
        batch were sent all the same, and the caller journals each outcome).

        The hash is computed locally, so a resend after a dropped connection that the node answers with
        "already known", or "nonce too low" for a transaction that is in fact known, gives the same hash
        instead of a refusal: a sent transaction is never reported as unsent. Any other refusal is checked
        by hash in one more batched request, and a transaction the node knows counts as sent.

        Raises:
            RpcError: the endpoint failed after retries (the batch may or may not have reached the node).
        """
        from tempoctl.observed.evm.abi import keccak

        hashes = ["0x" + keccak(bytes(raw)).hex() for raw in raws]
        replies = self.batch([("eth_sendRawTransaction", ["0x" + bytes(raw).hex()]) for raw in raws])
        out: list[str | RpcResponseError] = []
        refused: list[int] = []
        for i, (tx_hash, reply) in enumerate(zip(hashes, replies, strict=True)):
            if "error" not in reply:
                out.append(tx_hash)  # the hash of the bytes sent, whatever a hostile node answers
                continue
            msg = str(reply["error"].get("message", "")).lower().replace(" ", "")
            if any(w in msg for w in _KNOWN_TX):
                out.append(tx_hash)
                continue
            err = self._error("eth_sendRawTransaction", reply["error"])
            out.append(err if isinstance(err, RpcResponseError) else RpcResponseError(
                err.summary, code=None, message=err.summary))
            refused.append(i)
        if refused:
            # Nodes word "I have it already" in many ways (a resend after a lost answer meets its own
            # transaction: "nonce too low" once mined); whatever the words, a hash the node knows was sent.
            known = self.batch([("eth_getTransactionByHash", [hashes[i]]) for i in refused])
            for i, reply in zip(refused, known, strict=True):
                if isinstance(reply.get("result"), dict):
                    out[i] = hashes[i]
        return out

    def receipt(self, tx_hash: str) -> JsonDict | None:
        """The receipt of `tx_hash`, or None while it is not mined."""
        r = self.request("eth_getTransactionReceipt", [tx_hash])
        return r if isinstance(r, dict) else None

    def wait_receipts(self, hashes: Iterable[str], timeout: float, poll: float = 0.25,
                      progress: Callable[[str], None] | None = None, every: float = PROGRESS_EVERY) -> dict[str, JsonDict]:
        """Wait for several transactions together: one batched receipt query per poll.

        A receipt query that fails (the endpoint down after retries, or an error answer for one hash) does
        not end the wait: the transactions were sent and may be mined meanwhile, so polling goes on until
        `timeout`. `progress` hears what is awaited and why at least every `every` seconds, and at once when
        a query first fails, so a long wait is never silent.

        Returns:
            tx hash → receipt for every hash.

        Raises:
            ReceiptTimeout: some had no receipt by `timeout` seconds; it carries the ones that arrived.
        """
        missing = list(dict.fromkeys(hashes))
        found: dict[str, JsonDict] = {}
        started = time.monotonic()
        deadline = started + timeout
        told = started - every + min(every, 2.0)  # the first word after 2 s of waiting, then every `every`
        error: str | None = None
        while missing:
            failed: str | None = None
            try:
                replies = self.batch([("eth_getTransactionReceipt", [h]) for h in missing])
            except RpcError as exc:
                replies, failed = [], exc.summary
            for h, reply in zip(list(missing), replies):
                if isinstance(reply.get("result"), dict):
                    found[h] = reply["result"]
                    missing.remove(h)
                elif isinstance(reply.get("error"), dict):
                    failed = failed or self._error("eth_getTransactionReceipt", reply["error"]).summary
            if not missing:
                break
            now = time.monotonic()
            why = f"receipt queries fail: {failed}" if failed else "not mined yet"
            if progress is not None and (now - told >= every or (failed and not error)):
                from tempoctl.safetext import one_line  # the RPC's error text reaches a terminal

                progress(one_line(f"Waiting for {len(missing)} transaction(s) on {self.host} "
                         f"({', '.join(h[:10] + '…' for h in missing[:3])}{', …' if len(missing) > 3 else ''}), "
                         f"{now - started:.0f} s of {timeout:g} s: {why}"))
                told = now
            error = failed
            if now >= deadline:
                raise ReceiptTimeout(
                    f"{len(missing)} transaction(s) had no receipt after {timeout:g} s on {self.host}"
                    + (f" (the last receipt query failed: {failed})." if failed else "."),
                    found,
                    missing,
                )
            time.sleep(poll)
        return found


_KNOWN_TX = ("alreadyknown", "knowntransaction", "alreadyimported", "alreadyinmempool", "alreadyexists")
"""How nodes say a transaction is already theirs (geth, erigon: "already known"; anvil: "transaction already
imported"; others), compared without spaces or case."""


class _BatchRejected(Exception):
    """The node answered a whole batch with one error object (commonly: batch too large)."""

    def __init__(self, error: object) -> None:
        super().__init__(str(error))
        self.error = error if isinstance(error, dict) else {"message": str(error)}


def _int(value: object, what: str, host: str) -> int:
    try:
        if isinstance(value, str):
            return int(value, 16)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    except ValueError:
        pass
    raise RpcError(f"{host} returned a malformed {what} value: {str(value)[:40]!r}.")


def _tx_json(tx: Mapping[str, Any]) -> JsonDict:
    out: JsonDict = {}
    for k, v in tx.items():
        if isinstance(v, bool):
            out[k] = v
        elif isinstance(v, int):
            out[k] = hex(v)
        elif isinstance(v, (bytes, bytearray)):
            out[k] = "0x" + bytes(v).hex()
        else:
            out[k] = v
    return out
