"""The version pin of a Teye contract is its on-chain wasm hash: from `wasm_sha256` or a release's
`SHA256SUMS.txt`; a live contract that differs is drift, reported and never "fixed" in place."""

from __future__ import annotations

import json

from tempoctl.observed.stellar.errors import decode_error
from tests.stellar.conftest import Teye


def _with_release(teye: Teye, sums: str) -> None:
    folder = teye.write()
    (folder / "dist").mkdir()
    (folder / "dist" / "SHA256SUMS.txt").write_text(sums)
    text = (folder / "teye.yaml").read_text()
    (folder / "teye.yaml").write_text(text + "    release: dist/SHA256SUMS.txt\n")


def test_release_file_pin_matching_the_live_wasm_is_no_drift(teye: Teye) -> None:
    live = teye.contract.wasm_hash.hex()
    _with_release(teye, f"{'ab' * 32}  ./identity.wasm\n{live}  ./vision_records.wasm\n")
    res = teye.ws.run("drift", "teye-local")
    assert res.exit_code == 0, res.output


def test_live_wasm_differing_from_the_release_pin_is_reported_drift(teye: Teye) -> None:
    _with_release(teye, f"{'cd' * 32}  ./vision_records.wasm\n")
    res = teye.ws.run("drift", "teye-local", "--format", "json")
    assert res.exit_code == 2
    [item] = json.loads(res.output)["drift"]
    assert item["address"] == "vision_records.wasm_sha256" and item["expected"] == "cd" * 32
    assert item["actual"] == teye.contract.wasm_hash.hex() and item["corrected_by_apply"] is False


def test_a_release_file_without_the_contract_is_a_clear_error(teye: Teye) -> None:
    _with_release(teye, f"{'ab' * 32}  ./identity.wasm\n")
    res = teye.ws.run("plan", "teye-local")
    assert res.exit_code == 1
    assert "dist/SHA256SUMS.txt has no line for vision_records.wasm" in res.output
    assert "teye.yaml:" in res.output


def test_contract_errors_are_named_from_the_reference_table() -> None:
    assert decode_error("HostError: Error(Contract, #3)\n\nEvent log ...") == "Unauthorized (Error(Contract, #3))"
    assert decode_error("Error(Contract, #15)") == "RateLimitExceeded (Error(Contract, #15))"
    assert decode_error("HostError: Error(Auth, InvalidAction)").startswith("host error Error(Auth, InvalidAction)")
