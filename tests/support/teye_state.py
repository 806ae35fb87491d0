"""Write a Teye environment (a vision_records contract on the Soroban emulator) for tests and the demo."""

from __future__ import annotations

from pathlib import Path


def environment_yaml(url: str, passphrase: str, admin: str, new_admin: str | None = None,
                     name: str = "teye-local", channels: list[tuple[str, str]] | None = None) -> str:
    """`channels`: (address, env var) pairs: channel accounts of `teye_admin`."""
    extra = (f"\n  teye_new_admin: {{network: stellar-local, address: {new_admin}, key: env:TEYE_NEW_ADMIN_SECRET}}"
             if new_admin else "")
    if channels:
        extra = ", channels: [" + ", ".join(f"{{address: {a}, key: env:{v}}}" for a, v in channels) + "]}" + extra
        return _env(url, passphrase, admin, name, extra, close=False)
    return _env(url, passphrase, admin, name, extra)


def _env(url: str, passphrase: str, admin: str, name: str, extra: str, close: bool = True) -> str:
    return f"""# Teye on the Soroban RPC emulator (tests/soroban), not a real Stellar network.
environment: {name}
networks:
  stellar-local:
    type: stellar
    passphrase: "{passphrase}"
    rpc_url: ${{TEYE_LOCAL_RPC:-{url}}}
signers:
  teye_admin: {{network: stellar-local, address: {admin}, key: env:TEYE_ADMIN_SECRET{"}" if close else ""}{extra}
backend: sqlite:///.tempoctl/{name}.db
"""


def teye_yaml(cid: str, admin: str, *, signer: str = "teye_admin", whitelist: list[str] | None = None,
              enabled: bool | None = True, tiers: dict[str, str] | None = None, paused_global: bool | None = None,
              paused_functions: dict[str, bool] | None = None, rate_limit: tuple[int, int] | None = None,
              min_ttl: int | None = None, wasm: str | None = None, extra: str = "") -> str:
    lines = ["contracts:", "  vision_records:", "    network: stellar-local", f"    contract_id: {cid}",
             "    profile: teye/vision-records", f"    signer: {signer}", f"    admin: {admin}"]
    if wasm:
        lines.append(f"    wasm_sha256: {wasm}")
    if tiers is not None:
        lines.append("    admin_tiers:" + ("" if tiers else " {}"))
        lines += [f"      {a}: {t}" for a, t in tiers.items()]
    if whitelist is not None:
        lines += ["    whitelist:"] + ([f"      enabled: {str(enabled).lower()}"] if enabled is not None else [])
        lines.append("      members:" + ("" if whitelist else " []"))
        lines += [f"        - {a}" for a in whitelist]
    if paused_global is not None or paused_functions is not None:
        lines.append("    paused:")
        if paused_global is not None:
            lines.append(f"      global: {str(paused_global).lower()}")
        if paused_functions is not None:
            lines.append("      functions: {" + ", ".join(f"{k}: {str(v).lower()}" for k, v in paused_functions.items()) + "}")
    if rate_limit is not None:
        lines.append(f"    rate_limit: {{max_requests: {rate_limit[0]}, window_seconds: {rate_limit[1]}}}")
    if min_ttl is not None:
        lines.append(f"    min_instance_ttl_ledgers: {min_ttl}")
    return "\n".join(lines) + "\n" + extra


def write_teye_state(root: Path, env_yaml: str, teye: str, name: str = "teye-local") -> Path:
    folder = root / "state" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "environment.yaml").write_text(env_yaml)
    (folder / "teye.yaml").write_text(teye)
    return folder
