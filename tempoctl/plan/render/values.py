"""Value formatting and secret masking shared by every plan renderer (and by the plan file writer).

Renderers work on the plain dict of `Plan.to_dict()`; everything here is pure and stdlib-only, so that
`tempoctl show` of a saved JSON plan renders exactly like a fresh plan and no renderer can leak a secret
that the others would hide. Addresses are taken apart by `tempoctl.core.addrs`, which is stdlib-only too.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from tempoctl.core.addrs import Attribute, RoleMember, parse_address

# DESIGN §5: a secret renders as `(sensitive)`, and a sensitive field of a change as `(sensitive) changed` or
# `(sensitive) unchanged` — never a hash, which would let anyone holding a plan confirm a guessed secret.
MASK = "(sensitive)"
CHANGED = "(sensitive) changed"
UNCHANGED = "(sensitive) unchanged"
_MASKS = (MASK, CHANGED, UNCHANGED)

_EVM_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
_STRKEY = re.compile(r"[GCM][A-Z2-7]{55}")
# A Stellar secret seed is 'S' + 55 base32 characters; masked wherever it appears, whatever the field.
_STELLAR_SEED = re.compile(r"(?<![A-Z2-7])S[A-Z2-7]{55}(?![A-Z2-7])")
# 32 bytes of hex is also a tx hash, a role id or a storage slot, so it is masked only under key-like names.
_HEX32 = re.compile(r"(?:0x)?[0-9a-fA-F]{64}")
_KEYISH_NAME = re.compile(r"key|secret|private|seed|mnemonic|password", re.IGNORECASE)
_ALWAYS_SECRET_NAMES = {"secret", "private_key", "privatekey", "secret_key", "mnemonic", "password", "seed"}
# Sensitive leaf strings shorter than this are not searched for inside other strings (too many false hits).
_MIN_SCRUB_LEN = 6


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def is_masked(value: Any) -> bool:
    return isinstance(value, str) and value in _MASKS


def mask(value: Any) -> str:
    """The one public form of a secret: ``(sensitive)``, with nothing derived from the value. Idempotent."""
    return str(value) if is_masked(value) else MASK


def _leaf_strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value] if len(value) >= _MIN_SCRUB_LEN and not is_masked(value) else []
    if isinstance(value, dict):
        return [s for v in value.values() for s in _leaf_strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _leaf_strings(v)]
    return []


def _scrub_str(text: str, secrets: list[str], field_name: str | None) -> str:
    if field_name is not None:
        lowered = field_name.lower()
        if lowered in _ALWAYS_SECRET_NAMES and text:
            return mask(text)
        if _KEYISH_NAME.search(lowered) and _HEX32.fullmatch(text):
            return mask(text)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, mask(secret))
    return _STELLAR_SEED.sub(lambda m: mask(m.group(0)), text)


def scrub(value: Any, secrets: list[str] | None = None, field_name: str | None = None) -> Any:
    """Return a copy of `value` with secrets masked: every occurrence of the given secret strings, Stellar
    seeds anywhere, and private-key-shaped hex under key/secret/private-like field names."""
    found = secrets or []
    if isinstance(value, str):
        return _scrub_str(value, found, field_name)
    if isinstance(value, dict):
        return {k: scrub(v, found, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, found, field_name) for v in value]
    return value


def _mask_pair(before: Any, after: Any) -> tuple[Any, Any]:
    """One sensitive field as a reader may see it: whether it changed, nothing else. Idempotent, so a
    document redacted twice reads the same."""
    if before is not None and after is not None and before == after:
        return UNCHANGED, UNCHANGED
    return (None if before is None else MASK), (None if after is None else CHANGED)


def _mask_sensitive(before: Any, after: Any, keys: frozenset[str] = frozenset()) -> tuple[Any, Any]:
    """Mask a sensitive change's before/after, keeping the shape of a dict so that renderers can still say
    which field changed (``API_TOKEN: (sensitive) changed``). With `keys`, only those fields of a dict are
    masked and the others stay readable."""
    if isinstance(before, dict) or isinstance(after, dict):
        b = dict(before) if isinstance(before, dict) else None
        a = dict(after) if isinstance(after, dict) else None
        names = [k for k in (b or {}) if not keys or k in keys]
        names += [k for k in (a or {}) if (not keys or k in keys) and k not in names]
        for k in names:
            mb, ma = _mask_pair((b or {}).get(k), (a or {}).get(k))
            if b is not None and k in b:
                b[k] = mb
            if a is not None and k in a:
                a[k] = ma
        return b if isinstance(before, dict) else _mask_pair(before, None)[0], \
            a if isinstance(after, dict) else _mask_pair(None, after)[1]
    return _mask_pair(before, after)


def _secret_part(value: Any, keys: frozenset[str]) -> Any:
    if keys and isinstance(value, dict):
        return {k: v for k, v in value.items() if k in keys}
    return value


def redact_change(change: dict[str, Any]) -> dict[str, Any]:
    """A change with nothing secret left: sensitive before/after masked, their plaintext scrubbed from the
    steps and notes, then the pattern-based masks applied to the whole change."""
    out = dict(change)
    secrets: list[str] = []
    if out.get("sensitive"):
        keys = frozenset(str(k) for k in out.get("sensitive_keys") or ())
        before, after = out.get("before"), out.get("after")
        secrets = sorted(set(_leaf_strings(_secret_part(before, keys)) + _leaf_strings(_secret_part(after, keys))),
                         key=len, reverse=True)
        out["before"], out["after"] = _mask_sensitive(before, after, keys)
    result = scrub(out, secrets)
    assert isinstance(result, dict)
    return result


def redact_document(doc: dict[str, Any]) -> dict[str, Any]:
    """The plan document as it may be shown or written anywhere (DESIGN §8: nothing secret, ever)."""
    out = dict(doc)
    out["changes"] = [redact_change(c) for c in doc.get("changes", [])]
    for key in ("drift", "inputs", "notes", "observed"):
        if key in out:
            out[key] = scrub(out[key])
    return out


# ----------------------------------------------------------------------------------------------------------
# Formatting


def fmt_int(n: int) -> str:
    return f"{n:,}"


def _needs_quotes(s: str) -> bool:
    if s == "" or s != s.strip() or s in ("true", "false", "null"):
        return True
    if is_masked(s):
        return False
    try:
        float(s)
    except ValueError:
        return any(ch in s for ch in "\n\t\"")
    return True


def fmt_value(value: Any) -> str:
    """One value as a reader expects it: ``true``, ``150``, ``0xAbC…`` (addresses unquoted), ``"10"`` (a
    string that would read as another type is quoted), compact JSON for lists and maps."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if _needs_quotes(value) else value
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def diff_fields(before: Any, after: Any, prefix: str = "") -> tuple[list[tuple[str, Any, Any]], int]:
    """Fields that differ between two maps (nested maps as dotted paths), and how many are unchanged."""
    changed: list[tuple[str, Any, Any]] = []
    unchanged = 0
    b = before if isinstance(before, dict) else {}
    a = after if isinstance(after, dict) else {}
    keys = list(b) + [k for k in a if k not in b]
    for k in keys:
        name = f"{prefix}{k}"
        bv, av = b.get(k), a.get(k)
        if isinstance(bv, dict) and isinstance(av, dict):
            sub, same = diff_fields(bv, av, name + ".")
            changed += sub
            unchanged += same
        elif bv == av and (k in b) == (k in a):
            unchanged += 1
        else:
            changed.append((name, bv, av))
    return changed, unchanged


def shorten(s: str) -> str:
    """``0xD7c37217…6497`` → ``0xD7c3…6497``; ``GB4H…E2YL`` for strkeys; anything else unchanged."""
    if _EVM_ADDRESS.fullmatch(s):
        return f"{s[:6]}…{s[-4:]}"
    if _STRKEY.fullmatch(s):
        return f"{s[:4]}…{s[-4:]}"
    return s


def short_address(address: str) -> str:
    """Shorten the key of a resource address (``governance.role.ORACLE[0xD7c3…6497]``) for headlines."""
    a = parse_address(address)
    if isinstance(a, RoleMember):
        return str(replace(a, member=shorten(a.member)))
    if isinstance(a, Attribute) and a.key is not None:
        return str(a.at(shorten(a.key)))
    return address


def attribute_name(address: str) -> str:
    """The attribute part of an address, used to label a scalar before -> after (``risk.paused`` → paused;
    the role for role addresses)."""
    a = parse_address(address)
    if a is None:
        return address
    return a.attribute if isinstance(a, Attribute) else a.role


def is_role_membership(address: str) -> bool:
    return isinstance(parse_address(address), RoleMember)


def counts(changes: list[dict[str, Any]]) -> dict[str, int]:
    """Summary counts recomputed from the changes themselves, so a summary can never disagree with them."""
    out = {"create": 0, "update": 0, "delete": 0, "replace": 0}
    for c in changes:
        action = str(c.get("action", ""))
        if action in out:
            out[action] += 1
    return out


def summary_sentence(changes: list[dict[str, Any]]) -> str:
    """Terraform's sentence; a replace counts once in "to add" and once in "to destroy", like `-/+`."""
    n = counts(changes)
    add = n["create"] + n["replace"]
    destroy = n["delete"] + n["replace"]
    return f"Plan: {add} to add, {n['update']} to change, {destroy} to destroy."


def public_document(doc: dict[str, Any]) -> dict[str, Any]:
    """`redact_document`, with the fingerprint recomputed if redaction had to change a change.

    Builders are expected to put digests, not plaintext, into sensitive before/after; if one did not, the
    written/printed document is still secret-free and still self-consistent (`load_plan` accepts it).
    """
    from tempoctl.plan.model import Plan  # stdlib-only module; imported late to keep values.py standalone

    out = redact_document(doc)
    fingerprinted = ("changes", "inputs")
    if any(out.get(k) != doc.get(k) for k in fingerprinted) and "fingerprint" in doc:
        out["fingerprint"] = Plan.from_dict(out).fingerprint()
    return out
