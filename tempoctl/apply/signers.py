"""Load signing keys for apply only. Keys are never logged, printed, written to a plan or journal.

`key: env:VAR` reads a hex private key from the environment; `key: keystore:PATH` decrypts a Web3 Secret
Storage file (as written by `cast wallet import`) with `TEMPOCTL_KEYSTORE_PASSWORD` or a prompt on a TTY.
The derived address must equal the declared one, so a wrong key fails before anything is sent.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tempoctl.desired.models import Signer
from tempoctl.errors import TempoctlError


class SignerError(TempoctlError):
    """A signer's key is missing, unreadable, or belongs to another address."""


def load_evm_account(name: str, signer: Signer, *, environ: Mapping[str, str] | None = None,
                     prompt: Callable[[str], str] | None = None) -> Any:
    """Return an eth_account `LocalAccount` for `signer`, checked against its declared address."""
    from eth_account import Account

    environ = os.environ if environ is None else environ
    if signer.via == "safe":
        raise SignerError(f"signer {name} is a Safe (via: safe); its steps are proposed as a batch, not signed here")
    if not signer.key:
        raise SignerError(f"signer {name} has no `key:`; declare key: env:VAR or keystore:PATH to apply its steps")
    kind, ref = signer.key.split(":", 1)
    if kind == "env":
        raw = environ.get(ref)
        if not raw:
            raise SignerError(f"signer {name}: environment variable {ref} is not set",
                              hint=f"export {ref} with the signer's private key (it is read only during apply)")
        try:
            account = Account.from_key(raw.strip())
        except Exception:  # noqa: BLE001 - never echo the value or the library's message about it
            raise SignerError(f"signer {name}: {ref} does not hold a valid private key") from None
    else:
        path = Path(os.path.expanduser(ref))
        try:
            keyfile = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise SignerError(f"signer {name}: cannot read keystore {path}: {exc.__class__.__name__}") from None
        password = environ.get("TEMPOCTL_KEYSTORE_PASSWORD")
        if password is None:
            if prompt is None or not sys.stdin.isatty():
                raise SignerError(f"signer {name}: keystore {path} needs a password",
                                  hint="set TEMPOCTL_KEYSTORE_PASSWORD or run on a terminal to be prompted")
            password = prompt(f"Password for keystore of signer {name}: ")
        try:
            account = Account.from_key(Account.decrypt(keyfile, password))
        except Exception:  # noqa: BLE001
            raise SignerError(f"signer {name}: could not decrypt keystore {path} (wrong password?)") from None
    if account.address.lower() != signer.address.lower():
        raise SignerError(f"signer {name}: the key belongs to {account.address}, not the declared {signer.address}")
    return account
