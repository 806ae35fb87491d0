"""A real node_exporter (textfile collector) and a real Prometheus for tests, each on a free 127.0.0.1 port in a
temp directory, started and stopped by the test (Debian `prometheus-node-exporter` and `prometheus`; their
system services are never used). Prometheus scrapes and evaluates every second, so a rule with `for: 1s` fires
within a few seconds of the textfile changing."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.anvil import free_port

NODE_EXPORTER = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
PROMETHEUS = shutil.which("prometheus")


def available() -> bool:
    return NODE_EXPORTER is not None and PROMETHEUS is not None


def _wait_http(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"{what} exited {proc.returncode}: {err[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer {url} within {timeout:g}s")
        time.sleep(0.1)


@contextlib.contextmanager
def _running(argv: list[str], cwd: Path, ready_url: str, what: str) -> Iterator[subprocess.Popen[bytes]]:
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_http(ready_url, proc, what)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


@contextlib.contextmanager
def node_exporter(textfile_dir: Path) -> Iterator[str]:
    """node_exporter with only the textfile, meminfo and filesystem collectors (the others read hardware
    and services a test machine may not have); yields its host:port."""
    assert NODE_EXPORTER is not None
    port = free_port()
    argv = [NODE_EXPORTER, f"--web.listen-address=127.0.0.1:{port}", "--collector.disable-defaults",
            "--collector.textfile", f"--collector.textfile.directory={textfile_dir}",
            "--collector.meminfo", "--collector.filesystem"]
    with _running(argv, textfile_dir, f"http://127.0.0.1:{port}/metrics", "node_exporter"):
        yield f"127.0.0.1:{port}"


@dataclass
class Prometheus:
    url: str

    def get(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{path}{query}", timeout=10) as resp:
            doc = json.loads(resp.read())
        assert doc["status"] == "success", doc
        return doc["data"]

    def alerts(self) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/alerts")["alerts"])

    def firing(self, name: str, **labels: str) -> list[dict[str, Any]]:
        return [a for a in self.alerts() if a["state"] == "firing" and a["labels"].get("alertname") == name
                and all(a["labels"].get(k) == v for k, v in labels.items())]

    def query(self, promql: str) -> list[dict[str, Any]]:
        return list(self.get("/api/v1/query", query=promql)["result"])

    def wait(self, what: str, predicate: Callable[[], bool], timeout: float = 40) -> float:
        """Poll until `predicate()` holds; returns the seconds it took."""
        start = time.monotonic()
        while not predicate():
            if time.monotonic() - start > timeout:
                raise AssertionError(f"timed out after {timeout:g}s waiting for {what}; alerts: {self.alerts()}")
            time.sleep(0.25)
        return time.monotonic() - start


@contextlib.contextmanager
def prometheus(workdir: Path, target: str, rule_files: list[Path]) -> Iterator[Prometheus]:
    """Prometheus scraping `target` (job `node`) every second with `rule_files`, evaluated every second."""
    assert PROMETHEUS is not None
    port = free_port()
    config = {"global": {"scrape_interval": "1s", "evaluation_interval": "1s", "scrape_timeout": "1s"},
              "rule_files": [str(p) for p in rule_files],
              "scrape_configs": [{"job_name": "node", "static_configs": [{"targets": [target]}]}]}
    (workdir / "prometheus.yml").write_text(json.dumps(config))
    (workdir / "data").mkdir(exist_ok=True)
    argv = [PROMETHEUS, f"--config.file={workdir / 'prometheus.yml'}", f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn"]
    with _running(argv, workdir, f"http://127.0.0.1:{port}/-/ready", "prometheus"):
        yield Prometheus(f"http://127.0.0.1:{port}")
