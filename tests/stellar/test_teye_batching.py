"""Soroban reads are batched (DESIGN §10): one `getLedgerEntries` for the instance and every managed key, and
`plan --no-batch` (the benchmark's comparison) asks for one key per request instead, reading the same state."""

from __future__ import annotations

from tests.stellar.conftest import Teye


def _plan_counting_reads(teye: Teye, *flags: str) -> int:
    before = teye.emu.calls["getLedgerEntries"]
    res = teye.ws.run("plan", "teye-local", "--detailed-exitcode", *flags)
    assert res.exit_code == 0, res.output
    assert "No changes" in res.output
    return teye.emu.calls["getLedgerEntries"] - before


def test_no_batch_reads_one_ledger_key_per_request_and_sees_the_same_state(teye: Teye) -> None:
    members = [kp.public_key for kp in teye.others[:3]]
    tiers = {teye.admin.public_key: "SuperAdmin", teye.others[3].public_key: "OperatorAdmin"}
    for m in members:
        teye.contract.whitelist_add(m)
    teye.contract.set_tier(teye.others[3].public_key, 1)
    teye.contract.set_whitelist_enabled(True)
    teye.write(whitelist=members, tiers=tiers)

    assert _plan_counting_reads(teye) == 1
    # The instance entry, ADM_LIST, three whitelist entries, two tier entries and the RBAC role (ROLE_ASN) of
    # the admin only (no other tier holder's role is read): eight keys, eight requests.
    assert _plan_counting_reads(teye, "--no-batch") == 1 + 1 + len(members) + len(tiers) + 1


def test_round_trips_of_a_converged_plan_follow_n_over_200(teye: Teye) -> None:
    """At N managed items a plan reads ceil(keys / 200) getLedgerEntries (stellar-rpc's key limit) plus a fixed
    few: the version check, network, latest ledger, getHealth and the out-of-band scan's getEvents (one per 25
    authorisers; OperatorAdmin tier holders cannot change keys, so here the admin alone). A per-holder read
    added beside the managed keys (ROLE_ASN of every tier holder did) makes this fail."""
    import hashlib
    import math

    from stellar_sdk import StrKey

    def acct(kind: str, i: int) -> str:
        return StrKey.encode_ed25519_public_key(hashlib.sha256(f"rt-{kind}-{i}".encode()).digest())

    n = 600
    members = [acct("wl", i) for i in range(n // 2)]
    holders = [acct("tier", i) for i in range(n - n // 2 - 1)]
    c = teye.contract
    c.set_whitelist_enabled(True)
    for m in members:
        c.whitelist_add(m)
    for h in holders:
        c.set_tier(h, 1)
    teye.write(whitelist=members, tiers={teye.admin.public_key: "SuperAdmin", **dict.fromkeys(holders, "OperatorAdmin")})
    before = dict(teye.emu.calls)
    res = teye.ws.run("plan", "teye-local", "--detailed-exitcode")
    assert res.exit_code == 0, res.output
    calls = {m: k - before.get(m, 0) for m, k in teye.emu.calls.items() if k - before.get(m, 0)}
    keys = 1 + 1 + n  # instance, ADM_LIST, N items (the admin's RBAC role is the +1 that ceil() absorbs here)
    assert calls["getLedgerEntries"] <= math.ceil((keys + 1) / 200), calls
    fixed = 5  # getVersionInfo, getNetwork, getLatestLedger, getHealth, one getEvents
    assert sum(calls.values()) <= math.ceil(n / 200) + 1 + fixed, calls
