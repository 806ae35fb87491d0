"""RPC health in `drift --prometheus`: the EVM network's probe, latency and the check's own request and error
counts through a real proxy in front of anvil; a down RPC still gets its series (with the check failed), and
the RPC URL (which can hold an API key) never reaches the file."""

from __future__ import annotations

from tests.alerts.support import key, samples
from tests.conftest import Workspace
from tests.support.local_state import write_local_state
from tests.support.rpc_proxy import Fault, RpcProxy

SECRET = "sekr3tApiKey0123456789"


def test_evm_rpc_up_latency_and_errors(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    ws = workspace
    write_local_state(ws.root / "state" / "local", chain)
    path = ws.root / "m.prom"
    net = {"environment": "local", "network": "anvil"}
    with RpcProxy(chain.url, rules=[Fault("5xx", method="eth_call", limit=2)]) as proxy:
        ws.env["TEMPOCTL_LOCAL_RPC"] = f"{proxy.url}?apikey={SECRET}"
        r = ws.run("drift", "local", "--prometheus", "m.prom")
        assert r.exit_code in (0, 2), r.output  # two 503s were retried: the check itself succeeded
        text = path.read_text()
        m = samples(text)
        assert m[key("tempoctl_drift_check_success", environment="local")] == 1
        assert m[key("tempoctl_rpc_up", kind="evm", **net)] == 1
        assert 0 < m[key("tempoctl_rpc_latency_seconds", **net)] < 5
        assert m[key("tempoctl_rpc_errors", **net)] == 2
        assert m[key("tempoctl_rpc_requests", **net)] >= 4  # the reads, the two failed attempts, the probe
        assert SECRET not in text and "127.0.0.1" not in text
    r = ws.run("drift", "local", "--prometheus", "m.prom")  # the proxy is gone: nothing answers
    assert r.exit_code == 1
    text = path.read_text()
    m = samples(text)
    assert m[key("tempoctl_drift_check_success", environment="local")] == 0
    assert m[key("tempoctl_rpc_up", kind="evm", **net)] == 0
    assert key("tempoctl_rpc_latency_seconds", **net) not in m
    assert m[key("tempoctl_rpc_errors", **net)] == m[key("tempoctl_rpc_requests", **net)] > 0
    assert SECRET not in text


def test_wrong_chain_is_not_up(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    """A node of another chain answers, but it is not this network's RPC: up is 0 (and the check fails)."""
    ws = workspace
    folder = write_local_state(ws.root / "state" / "local", chain)
    env_yaml = folder / "environment.yaml"
    env_yaml.write_text(env_yaml.read_text().replace(f"chain_id: {chain.chain_id}", "chain_id: 7"))
    assert ws.run("drift", "local", "--prometheus", "m.prom").exit_code == 1
    m = samples((ws.root / "m.prom").read_text())
    assert m[key("tempoctl_rpc_up", environment="local", network="anvil", kind="evm")] == 0
