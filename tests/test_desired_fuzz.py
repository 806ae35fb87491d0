"""Seeded mutation fuzz: thousands of malformed variants of the example files must each load or fail with
diagnostics that all carry a file:line:col — never any other exception."""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path

from tempoctl.desired import load_environment
from tempoctl.errors import ConfigError, ValidationError
from tests.test_desired_support import DATA, EXAMPLE

VARIANTS = 2000
WHERE = re.compile(r"^.+:\d+:\d+$")
JUNK = list(":{}[]&*!|>'\"%@`\t#-?,=$\\") + ["\x00", "é", "${", "${X", "\n", " ", "\ufeff", "0x"]
SCALARS = [
    "[1, 2]",
    "{a: 1}",
    "~",
    "123",
    "-1",
    "true",
    '"x"',
    "${UNDEF}",
    "${D:-0x20C0000000000000000000000000000000000000}",
    "0x5b891B43c5a555Cd37FD93892c8990F4b2Eb3E71",
    "1.5",
    "''",
    "[]",
    "{}",
    "&a x",
    "*a",
    "!!binary aGk=",
    "2024-01-01",
    "GB4HMRTA2GFNNE6ZXBERBJFD6ZY5AKZ7MM7ZLOZ3D4GSQX4KFZN3E2YL",
    "|\n  text",
    "abc",
]
KEY_VALUE = re.compile(r"^(\s*(?:- )?)([^\s:#][^:#]*?):(\s+)(.*)$")


def _mutate(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(9)
        i = rng.randrange(len(lines)) if lines else 0
        if op == 0 and text:  # truncate
            return "\n".join(lines)[: rng.randrange(len(text))]
        if op == 1 and lines:  # delete a line (a key)
            del lines[i]
        elif op == 2 and lines:  # duplicate a line (duplicate key)
            lines.insert(i, lines[i])
        elif op == 3 and lines:  # inject junk
            line = lines[i]
            j = rng.randrange(len(line) + 1)
            lines[i] = line[:j] + rng.choice(JUNK) + line[j:]
        elif op in (4, 5) and lines:  # retype a value
            m = KEY_VALUE.match(lines[i])
            if m:
                lines[i] = f"{m.group(1)}{m.group(2)}:{m.group(3)}{rng.choice(SCALARS)}"
        elif op == 6 and lines:  # rename a key
            m = KEY_VALUE.match(lines[i])
            if m:
                key = m.group(2)
                k = rng.randrange(len(key))
                lines[i] = f"{m.group(1)}{key[:k]}{key[k + 1 :]}{rng.choice('xs_')}:{m.group(3)}{m.group(4)}"
        elif op == 7 and lines:  # re-indent
            lines[i] = " " * rng.choice([0, 1, 2, 3, 6]) + lines[i].lstrip()
        elif op == 8 and len(lines) > 1:  # swap two lines
            k = rng.randrange(len(lines))
            lines[i], lines[k] = lines[k], lines[i]
    return "\n".join(lines)


def test_mutation_fuzz(tmp_path: Path) -> None:
    env = tmp_path / "tempo-testnet"  # `environment:` names the folder
    shutil.copytree(EXAMPLE, env)
    (env / "custom.yaml").write_text((DATA / "custom-contract.yaml").read_text())
    originals = {p: p.read_text() for p in sorted(env.glob("*.yaml"))}
    rng = random.Random(20240601)
    outcomes = {"loaded": 0, "invalid": 0}
    for n in range(VARIANTS):
        path = rng.choice(list(originals))
        mutated = _mutate(originals[path], rng)
        path.write_text(mutated)
        try:
            load_environment(env, environ={}, cwd=tmp_path)
            outcomes["loaded"] += 1
        except ValidationError as exc:
            outcomes["invalid"] += 1
            bad = [d for d in exc.diagnostics if not WHERE.match(d.where)]
            assert exc.diagnostics and not bad, f"variant {n} of {path.name}:\n{mutated}\n---\n{exc.render()}"
            exc.render()
        except ConfigError:
            outcomes["invalid"] += 1
        except Exception as exc:  # pragma: no cover - the failure report
            raise AssertionError(f"variant {n} of {path.name} raised {exc!r}:\n{mutated}") from exc
        finally:
            path.write_text(originals[path])
    assert outcomes["invalid"] > VARIANTS // 4 and outcomes["loaded"] > 0, outcomes
