"""Load signing keys for apply only. Keys are never logged, printed, written to a plan or journal.

`key: env:VAR` reads a hex private key from the environment; `key: keystore:PATH` decrypts a Web3 Secret
Storage v3 file (as written by `cast wallet import`, which omits the `address` field) with
`TEMPOCTL_KEYSTORE_PASSWORD`, or a prompt when the caller can ask on a terminal. The address derived from the
key must equal the declared one, so a wrong key or keystore fails before anything is sent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tempoctl.desired.models import Signer
from tempoctl.errors import TempoctlError

PASSWORD_VAR = "TEMPOCTL_KEYSTORE_PASSWORD"


class SignerError(TempoctlError):
    """A signer's key is missing, unreadable, or belongs to another address."""


def load_evm_account(name: str, signer: Signer, *, environ: Mapping[str, str] | None = None,
                     prompt: Callable[[str], str] | None = None, cwd: Path | None = None) -> Any:
    """Return an eth_account `LocalAccount` for `signer`, checked against its declared address.

    Args:
        name: the signer's name in the state files (for messages).
        signer: its declaration.
        environ: where `env:` keys and the keystore password are looked up (default `os.environ`).
        prompt: asks for a keystore password; pass it only when a person is at a terminal. Without it and
            without TEMPOCTL_KEYSTORE_PASSWORD a keystore cannot be opened.
        cwd: base of a relative keystore path (default: the current directory, as for `cast --keystore`).

    Raises:
        SignerError: no key, unreadable key or keystore, wrong password, or a key of another address.
    """
    environ = os.environ if environ is None else environ
    if signer.via == "safe":
        raise SignerError(f"signer {name} is a Safe (via: safe); its steps are proposed as a batch, not signed here")
    if not signer.key:
        raise SignerError(f"signer {name} has no `key:`; declare key: env:VAR or keystore:PATH to apply its steps")
    kind, ref = signer.key.split(":", 1)
    account = _from_env(name, ref, environ) if kind == "env" else _from_keystore(name, signer, ref, environ,
                                                                                   prompt, cwd)
    if account.address.lower() != signer.address.lower():
        raise SignerError(f"signer {name}: the key belongs to {account.address}, not the declared {signer.address}",
                          hint="Point `key:` at this signer's own key, or correct its `address:`.")
    return account


def _from_env(name: str, var: str, environ: Mapping[str, str]) -> Any:
    from eth_account import Account

    raw = environ.get(var)
    if not raw:
        raise SignerError(f"signer {name}: environment variable {var} is not set",
                          hint=f"export {var} with the signer's private key (it is read only during apply)")
    try:
        return Account.from_key(raw.strip())
    except Exception:  # noqa: BLE001 - never echo the value or the library's message about it
        raise SignerError(f"signer {name}: {var} does not hold a valid private key") from None


def _from_keystore(name: str, signer: Signer, ref: str, environ: Mapping[str, str],
                   prompt: Callable[[str], str] | None, cwd: Path | None) -> Any:
    from eth_account import Account

    path = Path(os.path.expanduser(ref.strip()))
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    try:
        keyfile = json.loads(path.read_text())
    except FileNotFoundError:
        raise SignerError(f"signer {name}: keystore {path} does not exist",
                          hint="Create it with `cast wallet import NAME --interactive`, or fix the `keystore:` path.") from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise SignerError(f"signer {name}: cannot read keystore {path} ({exc.__class__.__name__})") from None
    crypto = keyfile.get("crypto", keyfile.get("Crypto")) if isinstance(keyfile, dict) else None
    if not isinstance(crypto, dict) or keyfile.get("version") != 3:
        raise SignerError(f"signer {name}: {path} is not a Web3 Secret Storage v3 keystore",
                          hint="Expected the JSON written by `cast wallet import` or geth.")
    declared = str(keyfile.get("address") or "").lower().removeprefix("0x")
    if declared and declared != signer.address.lower().removeprefix("0x"):
        # Decided before asking for a password: an operator should not type it into the wrong file.
        raise SignerError(f"signer {name}: keystore {path} is for 0x{declared}, not the declared {signer.address}",
                          hint="Point `key:` at this signer's own keystore, or correct its `address:`.")
    password = environ.get(PASSWORD_VAR)
    if password is None:
        if prompt is None:
            raise SignerError(f"signer {name}: keystore {path} needs a password",
                              hint=f"Set {PASSWORD_VAR}, or run on a terminal to be prompted.")
        password = prompt(f"Password for the keystore of signer {name}")
    try:
        key = Account.decrypt(keyfile, password)
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise SignerError(f"signer {name}: wrong password for keystore {path}",
                              hint=f"Check {PASSWORD_VAR} (or what you typed); nothing was sent.") from None
        raise SignerError(f"signer {name}: cannot decrypt keystore {path}: unsupported or damaged file") from None
    except Exception:  # noqa: BLE001 - the library's message could quote key material; say only what failed
        raise SignerError(f"signer {name}: cannot decrypt keystore {path}: unsupported or damaged file") from None
    return Account.from_key(key)
