"""`drift --prometheus FILE`: the textfile-collector document parses with prometheus_client, counts what the
drift report counts, marks a failed check, and carries backup and oracle-signal ages by the documented keys."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import stat
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tempoctl.plan.metrics import DriftCheck, render_metrics
from tests.conftest import Workspace
from tests.support.anvil import DEV_ADDRESSES as A
from tests.support.anvil import DEV_KEYS
from tests.support.contracts import grant_role
from tests.support.local_state import write_local_state
from tests.support.postgres import Postgres


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge" and family.documentation
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_drift_metrics_count_the_report_and_mark_failed_checks(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    ws = workspace
    write_local_state(ws.root / "state" / "local", chain)
    assert ws.run("apply", "local", "--auto-approve").exit_code == 0
    grant_role(chain.url, chain.governance, "ORACLE", A[8])  # by hand: one unexpected holder
    broken = ws.root / "state" / "broken"
    shutil.copytree(ws.root / "state" / "local", broken)
    env_yaml = broken / "environment.yaml"
    env_yaml.write_text(re.sub(r"TEMPOCTL_LOCAL_RPC:-[^}]+", "TEMPOCTL_LOCAL_RPC:-http://127.0.0.1:9",
                               env_yaml.read_text()).replace("environment: local", "environment: broken"))

    r = ws.run("drift", "local", "broken", "--prometheus", "out/tempoctl.prom")
    assert r.exit_code == 1  # one check failed: an error, after the file was written
    path = ws.root / "out" / "tempoctl.prom"
    text = path.read_text()
    m = _samples(text)
    assert m[("tempoctl_drift_items", (("environment", "local"), ("kind", "unexpected")))] == 1
    assert m[("tempoctl_drift_items", (("environment", "local"), ("kind", "missing")))] == 0
    assert m[("tempoctl_drift_check_success", (("environment", "local"),))] == 1
    assert m[("tempoctl_drift_check_success", (("environment", "broken"),))] == 0
    assert not any(k[0] == "tempoctl_drift_items" and ("environment", "broken") in k[1] for k in m)
    checked = m[("tempoctl_last_check_timestamp_seconds", (("environment", "local"),))]
    assert checked > 1.7e9 and m[("tempoctl_last_check_timestamp_seconds", (("environment", "broken"),))] >= checked
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert not list(path.parent.glob(".*.tmp")), "the temp file of the atomic write is gone"
    for key in DEV_KEYS[:3]:
        assert key not in text and key[2:] not in text

    r = ws.run("drift", "local", "--prometheus", "out/tempoctl.prom")
    assert r.exit_code == 2
    m = _samples(path.read_text())
    assert ("tempoctl_drift_check_success", (("environment", "broken"),)) not in m  # replaced, not appended


def test_backup_and_oracle_signal_ages_from_observed_values() -> None:
    now = 1_800_000_000.0
    check = DriftCheck(
        "prod", now, {"environment": "prod", "changes": [], "drift": []},
        values={"tempovault-db.freshness": {"newest": "db_20270115.sql.gz", "newest_at": "2027-01-15T06:00:00+00:00"},
                "release-artifacts.freshness": {"age_seconds": 7200},
                "never-ran.freshness": {"newest": None, "newest_at": None, "age_seconds": None},
                "oracle.signal[pathUSD-AlphaUSD]": {"timestamp": 1_799_999_900, "block_timestamp": 1_799_999_960},
                'oracle.signal[we"ird\\pair]': {"timestamp": now - 30},
                "governance.role.ADMIN[0x1]": {"role": "ADMIN"}},
        facts={"backup_freshness": {"from-facts": {"last_success": now - 5}}},
        backups=("tempovault-db", "release-artifacts", "never-ran"))
    m = _samples(render_metrics([check]))
    newest = now - dt.datetime(2027, 1, 15, 6, tzinfo=dt.UTC).timestamp()
    assert m[("tempoctl_backup_age_seconds", (("backup", "tempovault-db"), ("environment", "prod")))] == newest
    assert m[("tempoctl_backup_age_seconds", (("backup", "release-artifacts"), ("environment", "prod")))] == 7200
    assert m[("tempoctl_backup_age_seconds", (("backup", "from-facts"), ("environment", "prod")))] == 5
    assert not any(k[0] == "tempoctl_backup_age_seconds" and ("backup", "never-ran") in k[1] for k in m)
    # Chain time, as the contract measures staleness, when the observation carries it.
    assert m[("tempoctl_oracle_signal_age_seconds", (("environment", "prod"), ("pair", "pathUSD-AlphaUSD")))] == 60
    assert m[("tempoctl_oracle_signal_age_seconds", (("environment", "prod"), ("pair", 'we"ird\\pair')))] == 30
    assert m[("tempoctl_drift_items", (("environment", "prod"), ("kind", "changed")))] == 0


def test_no_age_series_without_evidence() -> None:
    text = render_metrics([DriftCheck("dev", 1e9, {"environment": "dev", "changes": [], "drift": []},
                                      values={"db.freshness": {"status": "unknown"}}, backups=("db",))])
    names = {f.name for f in text_string_to_metric_families(text)}
    assert names == {"tempoctl_drift_items", "tempoctl_last_check_timestamp_seconds", "tempoctl_drift_check_success"}


def test_backup_age_from_a_real_backup(tmp_path: Path, postgres: Postgres) -> None:
    from tests.backups.support import make_world, pg_backup

    db = postgres.create_database()
    postgres.execute(db, "create table t (x int); insert into t values (1)")
    world = make_world(tmp_path, postgres)
    world.backups["tempovault-db"] = pg_backup(world, postgres.url(db), max_age="26h")

    def metrics() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        r = world.run("drift", "bk", "--prometheus", "m.prom")
        assert r.exit_code == 2, r.output
        return _samples((world.root / "m.prom").read_text())

    age = ("tempoctl_backup_age_seconds", (("backup", "tempovault-db"), ("environment", "bk")))
    m = metrics()  # no verified backup yet: drift says so, and there is no age to report
    assert m[("tempoctl_drift_items", (("environment", "bk"), ("kind", "no_verified_backup")))] == 1
    assert age not in m
    assert world.run("backup", "run", "bk", "tempovault-db").exit_code == 0
    [dump] = [p for p in world.dest.iterdir() if p.name.endswith(".sql.gz")]
    t = time.time() - 27 * 3600
    os.utime(dump, (t, t))
    m = metrics()
    assert 27 * 3600 <= m[age] < 28 * 3600
    assert m[("tempoctl_drift_items", (("environment", "bk"), ("kind", "stale_backup")))] == 1


def test_oracle_signal_age_from_the_chain(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    from tests.support.contracts import OracleSignal, call, pair_id, send, sign_oracle_signal, web3_of

    ws = workspace
    write_local_state(ws.root / "state" / "local", chain)
    assert ws.run("apply", "local", "--auto-approve").exit_code == 0  # A[6] now holds ORACLE
    age = ("tempoctl_oracle_signal_age_seconds", (("environment", "local"), ("pair", "pathUSD-AlphaUSD")))
    assert ws.run("drift", "local", "--prometheus", "m.prom").exit_code == 0
    assert age not in _samples((ws.root / "m.prom").read_text())  # never signalled: no age

    pair = pair_id("0x20C0000000000000000000000000000000000000", "0x20c0000000000000000000000000000000000001")
    ts = int(web3_of(chain.url).eth.get_block("latest")["timestamp"]) - 90
    signal = OracleSignal(referenceTick=0, pegDeviation=0, orderbookDepthBid=10**12, orderbookDepthAsk=10**12,
                          timestamp=ts, nonce=1)
    sig = sign_oracle_signal(chain.risk, chain.chain_id, pair, signal, DEV_KEYS[6])
    send(chain.url, chain.risk, "RiskController", "updateOracleSignal", pair, tuple(signal), sig, key=DEV_KEYS[9])
    assert call(chain.url, chain.risk, "RiskController", "oracleLastTimestamp", pair) == ts

    assert ws.run("drift", "local", "--prometheus", "m.prom").exit_code == 0  # evidence, not drift
    assert 90 <= _samples((ws.root / "m.prom").read_text())[age] < 90 + 60
