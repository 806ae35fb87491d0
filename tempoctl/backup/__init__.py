"""Backups (`backups:` in YAML): take one now, verify it, apply retention, install the schedule, and report
how old the newest *verified* backup is.

Everything runs on the backup's host through its transport (local or ssh), with the host's own tools
(`pg_dump`, `pg_restore`, `gzip`, `tar`, `find`, `crontab`), so a remote database host needs no tempoctl
for the reads drift makes. Credentials follow libpq conventions on the host (PG* environment, ~/.pgpass);
nothing secret is in YAML or in a command line.
"""
