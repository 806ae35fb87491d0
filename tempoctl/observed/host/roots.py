"""Declared roots: where tempoctl may read and write on a host (issue 12 item 2).

State files arrive through pull requests, so a path in them (an env file, a consumer's env file, a backup
destination or archived path) is not trusted to stay where it should: `env_files: {.git/config: …}` read the
checkout's token, `../` and symlinks lead anywhere. Every such path must, after normalisation *and* symlink
resolution on the host itself, lie inside one of the host's roots:

* the **base**, against which relative paths resolve and which is always a root: the connection user's home
  for `ssh://` hosts (where ssh starts commands), the working directory — the repository root — for `local`;
* `hosts.<h>.roots: [DIR, …]` when declared (absolute directories, or `~`/`~/sub` for the user's home);
  otherwise the defaults `DEFAULT_ROOTS`, the usual homes of a service's files.

Credential stores are never inside a root, whatever is declared (`CREDENTIAL_NAMES`: `.git`, `.ssh`, …).
`validate` checks what it can offline (syntax, `..`, credential names, an absolute path under a root; `~` is
taken as `/home/USER` or `/root`); the hosts source and the executors check the resolved paths on the host.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tempoctl.desired.hostpaths import credential_part, descriptor_error, host_roots, under
from tempoctl.observed.host.transport import HostError, Transport

# Prints, NUL-separated: the resolved home, then `readlink -m` of every argument (`~` expanded) — every
# symlink resolved, `.`/`..` normalised, the last component allowed not to exist (a file to create).
_RESOLVE_SCRIPT = r"""h=$(readlink -m -- "$HOME") || h=""; printf '%s\0' "$h"
for p; do
  case $p in "~") p=$HOME ;; "~/"*) p=$HOME/${p#"~/"} ;; esac
  r=$(readlink -m -- "$p" 2>/dev/null) || r=""
  printf '%s\0' "$r"
done
"""


@dataclass
class Confined:
    """The resolved real path of every allowed path, and why each other path was refused."""

    real: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def confine(t: Transport, connection: str, declared: Sequence[str] | None, paths: Sequence[str]) -> Confined:
    """Resolve `paths` and the host's roots on the host (symlinks included) and keep the paths inside a root.

    Raises HostError when the host cannot resolve paths at all (no `readlink -m`)."""
    out = Confined()
    if not paths:
        return out
    roots = host_roots(connection, declared)
    result = t.run(["sh", "-c", _RESOLVE_SCRIPT, "sh", *roots, *paths], check=False)
    parts = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    if result.returncode != 0 or len(parts) < 1 + len(roots) + len(paths):
        raise HostError(f"cannot resolve paths on host {t.name} (readlink -m)",
                        detail=result.stderr.decode("utf-8", "replace").strip())
    real_roots = [r for r in parts[1:1 + len(roots)] if r and r != "/"]
    for path, real in zip(paths, parts[1 + len(roots):1 + len(roots) + len(paths)], strict=True):
        cred = credential_part(real) or credential_part(path)
        if not real:
            out.refused[path] = "cannot be resolved on the host"
        elif cred:
            out.refused[path] = f"resolves to {real}, inside {cred} (credentials): never read or written"
        elif not any(under(real, r) for r in real_roots):
            out.refused[path] = (f"resolves to {real}, outside the host's roots "
                                 f"({', '.join(roots)}); declare its directory under roots if tempoctl may touch it")
        else:
            out.real[path] = real
    return out


def local_confined(path: str, base: str) -> str:
    """The real path of `path` under `base` (symlinks resolved), or raise HostError when it leaves `base`."""
    import os

    real_base = os.path.realpath(base)
    real = os.path.realpath(os.path.join(real_base, path))
    if descriptor_error(path) or not under(real, real_base) or credential_part(real[len(real_base):]):
        raise HostError(f"refusing {path}: it resolves to {real}, outside the repository root {real_base}",
                        hint="Descriptor paths are relative to the repository root and stay inside it "
                             "(no .., no symlink out, no .git).")
    return real
