"""Host checks (`hosts.<name>.checks`): evidence that the services do their job, read for drift.

* `indexer_lag`: chain head − `indexer_state.last_indexed_block` (the indexer's own progress row, id = 1),
  read with psycopg from the machine running tempoctl, only from a server declared under `databases:` (or
  localhost:5432): libpq sends PGPASSWORD to whatever it connects to, so a URL from a PR decides nothing. The database follows libpq conventions: a
  `postgresql://user@host/db` URL without a password, or a bare database name, with PGHOST/PGPORT/PGUSER/
  PGPASSFILE (or ~/.pgpass) from the environment. The head is the network's pinned block when the EVM
  source read it, so the lag is measured against the same block the plan used.
* `http`: `curl` run on the host itself (through its transport), so `http://127.0.0.1:3000/ready` means the
  host's own port; the status and, with `expect_body`, the body are compared.

Values: `<host>.check[indexer_lag]` and `<host>.check[<url>]`. They change all the time and apply never acts
on them, so they are listed in `observed.drift_only` and kept out of saved-plan inputs.
"""

from __future__ import annotations

from typing import Any

from tempoctl.core.addrs import attribute
from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.hostpaths import dsn_error
from tempoctl.desired.models import EvmNetwork, HttpCheck, IndexerLagCheck
from tempoctl.desired.reach import at
from tempoctl.errors import TempoctlError
from tempoctl.observed.backups import host_transport
from tempoctl.observed.host.source import unread
from tempoctl.observed.host.transport import Transport
from tempoctl.observed.observation import Observation, ReadOptions

_BODY_LIMIT = 65536


def lag_address(host: str) -> str:
    return attribute(host, "check", "indexer_lag")


def http_address(host: str, url: str) -> str:
    return attribute(host, "check", url)


class ChecksSource:
    name = "checks"

    def wanted(self, env: DesiredEnvironment) -> bool:
        return any(h.checks is not None for h in env.state.hosts.values())

    def read(self, env: DesiredEnvironment, out: Observation, options: ReadOptions) -> None:
        values, drift_only = out.observed.values, out.observed.drift_only
        reach = env.reach
        for hname, host in env.state.hosts.items():
            if host.checks is None:
                continue
            if host.checks.indexer_lag is not None:
                problem = reach.indexer_lag(hname)
                if problem:  # no connection: libpq would send PGPASSWORD wherever the PR points it
                    unread(out, lag_address(hname), problem)
                else:
                    values[lag_address(hname)] = read_indexer_lag(env, host.checks.indexer_lag, out)
                    drift_only.append(lag_address(hname))
            for i, check in enumerate(host.checks.http):
                template = at(env.written, "hosts", hname, "checks", "http", i, "url")
                problem = reach.http(hname, template if isinstance(template, str) else "")
                if problem:
                    unread(out, http_address(hname, check.url), problem)
                    continue
                t = host_transport(out.clients, env, hname)
                values[http_address(hname, check.url)] = read_http(t, check)
                drift_only.append(http_address(hname, check.url))


def chain_head(env: DesiredEnvironment, network: str, out: Observation) -> int:
    pin = out.pins.get(network)
    if pin and "block" in pin:
        return int(pin["block"])
    client = out.clients.get(network)
    if client is None:
        from tempoctl.observed.evm.client import EvmClient

        net = env.state.networks[network]
        assert isinstance(net, EvmNetwork)
        client = EvmClient(net.rpc_url)
        client.check_chain(net.chain_id, env.where("networks", network, "chain_id"))
        out.clients[network] = client
    return int(client.block("latest").number)


def read_indexer_lag(env: DesiredEnvironment, check: IndexerLagCheck, out: Observation) -> dict[str, Any]:
    """{head, last_indexed_block, last_indexed_at, lag, max_blocks} or {error, max_blocks}."""
    import psycopg

    base: dict[str, Any] = {"max_blocks": check.max_blocks}
    try:
        head = chain_head(env, check.network, out)
    except TempoctlError as exc:
        return {**base, "error": f"chain head of {check.network} unreadable: {exc.summary}"}
    base["head"] = head
    reach = env.reach  # under a trusted base, only the servers it declares (as written) are declared here
    problem = dsn_error(check.database, {(d.host.lower(), d.port) for n, d in env.state.databases.items()
                                         if reach.database(n)})
    if problem:  # validate refuses it first; checked again right before any credential could be sent
        return {**base, "error": f"not connecting: {problem}"}
    try:
        kwargs: dict[str, Any] = {"connect_timeout": 10}
        conn = (psycopg.connect(check.database, **kwargs) if "://" in check.database
                else psycopg.connect(dbname=check.database, **kwargs))
        with conn, conn.cursor() as cur:
            cur.execute("SELECT last_indexed_block, last_indexed_at FROM indexer_state WHERE id = 1")
            row = cur.fetchone()
    except psycopg.Error as exc:
        # The message names host/db/user, never a password (there is none in YAML, libpq reads it).
        return {**base, "error": f"database unreadable: {str(exc).strip().splitlines()[0]}"}
    if row is None:
        return {**base, "error": "indexer_state has no row with id = 1 (the indexer cannot persist progress)"}
    last, at = int(row[0]), row[1]
    return {**base, "last_indexed_block": last, "last_indexed_at": at.isoformat() if at else None,
            "lag": max(0, head - last)}


def curl_argv(check: HttpCheck) -> list[str]:
    """The curl command of an http check. `-q` (first) ignores any ~/.curlrc; `--proto`/`--proto-redir`
    limit curl to http(s) even when a server redirects elsewhere; `--` ends the options, so the URL can
    never be read as one (validate also refuses any other scheme)."""
    return ["curl", "-q", "-sS", "--proto", "=http,https", "--proto-redir", "=http,https", "-o", "-",
            "-m", str(max(1, int(check.timeout))), "-w", "\n%{http_code} %{time_total}", "--", check.url]


def read_http(t: Transport, check: HttpCheck) -> dict[str, Any]:
    """{url, status, seconds, body_ok} or {url, error}: one `curl` on the host; the body match looks at 64 KiB.
    `seconds` is curl's own total time (not the transport's), for the API latency alert."""
    argv = curl_argv(check)
    result = t.run(argv, check=False)
    text = result.text
    body, _, tail = text.rpartition("\n")
    status, _, total = tail.partition(" ")
    body = body[:_BODY_LIMIT]
    if result.returncode != 0 or not status.strip().isdigit() or status.strip() == "000":
        err = result.stderr.decode("utf-8", "replace").strip().splitlines()
        return {"url": check.url, "error": err[-1] if err else f"curl exited {result.returncode}"}
    out: dict[str, Any] = {"url": check.url, "status": int(status)}
    try:
        seconds = float(total)
    except ValueError:
        seconds = -1.0  # an older curl without time_total: no latency, the check itself still counts
    if 0 <= seconds < 86400:  # also drops nan/inf from a hostile host
        out["seconds"] = round(seconds, 6)
    if check.expect_body is not None:
        out["body_ok"] = check.expect_body in body
    return out
