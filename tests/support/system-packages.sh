#!/usr/bin/env bash
# Debian packages and the OS user that the tests need for their real parts (DESIGN §9): PostgreSQL servers
# started by the tests (initdb/pg_ctl/pg_dump/pg_restore), sshd/ssh for the ssh transport, and the `crontab` binary of backup schedules,
# Prometheus/promtool and node_exporter for the alert rules (installed without starting their services).
# Installs only what is missing, so a machine that has them is not touched. Run by `make setup`.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

need=()
# initdb and pg_ctl live in the versioned bin dir of the Debian package, not on PATH.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
for tool in pg_dump pg_restore; do
  if ! command -v "$tool" >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/"$tool" >/dev/null 2>&1; then
    need+=(postgresql-client)
  fi
done
command -v crontab >/dev/null 2>&1 || need+=(cron)
command -v gzip >/dev/null 2>&1 || need+=(gzip)
# HTTP checks run curl on the host.
command -v curl >/dev/null 2>&1 || need+=(curl)
# The ssh transport tests run a real OpenSSH server on 127.0.0.1 and connect with the OpenSSH client.
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)

# The alert tests run a real Prometheus (and promtool) and node_exporter on 127.0.0.1, started by the tests.
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v prometheus-node-exporter >/dev/null 2>&1 || need+=(prometheus-node-exporter)

if [ "${#need[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${need[*]}"
  $SUDO apt-get update -qq
  # The packages' system services (prometheus, node_exporter, postgresql, ssh) must not start: a policy-rc.d
  # that answers 101 ("action forbidden") stops invoke-rc.d/deb-systemd-invoke from starting them. Ours only if
  # none is there (Docker images ship one), removed afterwards.
  ours=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 0755 /usr/sbin/policy-rc.d
    ours=1
  fi
  status=0
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null || status=$?
  if [ -n "$ours" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
  [ "$status" -eq 0 ] || exit "$status"
fi

# PostgreSQL refuses to run as root: the tests run the server as this unprivileged user when they are root.
if [ "$(id -u)" -eq 0 ] && ! id tempoctl-test >/dev/null 2>&1; then
  useradd --system --user-group --no-create-home --shell /usr/sbin/nologin tempoctl-test
fi
