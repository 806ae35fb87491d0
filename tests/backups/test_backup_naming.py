"""Pure parts of backups: which file names belong to a backup, what retention removes, how a cron schedule
reads as a systemd OnCalendar."""

from __future__ import annotations

import datetime as dt

import pytest

from tempoctl.backup.naming import pattern, render
from tempoctl.backup.store import BackupFile, expired
from tempoctl.desired.cron import to_on_calendar

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("template", "mine", "not_mine"), [
    ("tempovault_{date:%Y%m%d}.sql.gz", "tempovault_20261123.sql.gz",
     ["tempovault_2026112.sql.gz", "tempovault_20261123.sql.gz.tmp", ".tempoctl-partial-tempovault_20261123.sql.gz",
      "tempovault_20261123.sql", "xtempovault_20261123.sql.gz"]),
    ("artifacts-{date:%Y%m%d-%H%M%S}.tgz", "artifacts-20261123-020000.tgz",
     ["artifacts-20261123.tgz", "tempovault_20261123.sql.gz"]),
    ("db.{date:%Y-%m-%dT%H%M}.dump", "db.2026-11-23T0200.dump", ["db.2026-11-23T0200.dump.1", "dbx2026-11-23T0200.dump"]),
])
def test_a_backup_recognises_only_its_own_files(template: str, mine: str, not_mine: list[str]) -> None:
    assert render(template, NOW) == mine
    assert pattern(template).match(mine)
    for name in not_mine:
        assert not pattern(template).match(name), name


def test_retention_removes_only_older_than_the_window_and_never_the_kept_file() -> None:
    def f(name: str, days: float) -> BackupFile:
        return BackupFile(name, NOW - dt.timedelta(days=days), 1)

    files = [f("new", 0), f("edge", 6.99), f("old", 7.01), f("oldest-good", 40)]
    assert [x.name for x in expired(files, NOW, 7, keep="new")] == ["old", "oldest-good"]
    assert [x.name for x in expired(files, NOW, 7, keep="oldest-good")] == ["old"]


@pytest.mark.parametrize(("cron", "calendar"), [
    ("0 2 * * *", "*-*-* 02:00:00"),
    ("30 2 * * *", "*-*-* 02:30:00"),
    ("*/15 * * * *", "*-*-* *:00/15:00"),
    ("0 3 * * 1-5", "Mon..Fri *-*-* 03:00:00"),
    ("0 0 * * 0,7", "Sun *-*-* 00:00:00"),
    ("@daily", "*-*-* 00:00:00"),
    ("@weekly", "Sun *-*-* 00:00:00"),
    ("0 0 1 * *", "*-*-01 00:00:00"),
    ("5 4 * JAN,JUL SUN", "Sun *-01,07-* 04:05:00"),
    ("0 6-18 * * *", "*-*-* 06..18:00:00"),
])
def test_cron_schedules_as_oncalendar(cron: str, calendar: str) -> None:
    assert to_on_calendar(cron) == calendar


@pytest.mark.parametrize("cron", ["0 2 1 * 1", "1-10/2 * * * *", "0 0 * * 1-5/2"])
def test_schedules_a_timer_cannot_express_are_refused(cron: str) -> None:
    with pytest.raises(ValueError):
        to_on_calendar(cron)
