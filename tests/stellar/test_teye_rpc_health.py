"""RPC health of a Stellar network in `drift --prometheus`: `getHealth` on the Soroban emulator answers healthy
(up 1, a latency, the check's requests counted); when it answers stellar-rpc's InternalError for a stale ledger
the network is down (the Teye runbook's RPCDown) while the rest of the check still reads."""

from __future__ import annotations

from tests.alerts.support import key, samples
from tests.stellar.conftest import Teye


def test_stellar_get_health_drives_rpc_up(teye: Teye) -> None:
    teye.write()
    ws, path = teye.ws, teye.ws.root / "m.prom"
    net = {"environment": "teye-local", "network": "stellar-local"}
    assert ws.run("drift", "teye-local", "--prometheus", "m.prom").exit_code in (0, 2)
    m = samples(path.read_text())
    assert m[key("tempoctl_rpc_up", kind="stellar", **net)] == 1
    assert 0 < m[key("tempoctl_rpc_latency_seconds", **net)] < 5
    assert m[key("tempoctl_rpc_requests", **net)] >= 3 and m[key("tempoctl_rpc_errors", **net)] == 0

    teye.emu.unhealthy = "latency (2m0s) since last known ledger closed is too high (>30s)"
    try:
        assert ws.run("drift", "teye-local", "--prometheus", "m.prom").exit_code in (0, 2)
    finally:
        teye.emu.unhealthy = None
    m = samples(path.read_text())
    assert m[key("tempoctl_drift_check_success", environment="teye-local")] == 1
    assert m[key("tempoctl_rpc_up", kind="stellar", **net)] == 0
    assert m[key("tempoctl_rpc_errors", **net)] == 1  # the probe's answer was an error
