"""The observed value of a managed file, from recorded reads: a verdict and line membership, never content."""

from __future__ import annotations

import json

from tempoctl.observed.host.facts import FileFacts
from tempoctl.observed.host.plainfiles import PlainFile, observed_file

WANT = "a: 1\nb: 2\nb: 2\nc: 3\n"


def test_absent_and_identical() -> None:
    pf = PlainFile("mon", "/srv/x.yml", 0, WANT)
    assert observed_file(pf, FileFacts(None)) is None
    assert observed_file(pf, FileFacts(WANT.encode(), "root:root", "0644")) == {
        "content": "unchanged", "owner": "root:root", "mode": "0644"}


def test_changed_file_keeps_only_line_membership_and_a_count() -> None:
    pf = PlainFile("mon", "/srv/x.yml", 0, WANT)
    live = "a: 1\nb: 2\npassword: hunter2\nzzz\n"
    got = observed_file(pf, FileFacts(live.encode(), "root:root", "0600"))
    assert got == {"content": "changed", "kept_lines": [0, 1, 4], "removed_lines": 2, "owner": "root:root",
                   "mode": "0600"}
    assert "hunter2" not in json.dumps(got)  # a repeated desired line counts once per live occurrence
