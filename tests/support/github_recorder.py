"""A small local stand-in for the GitHub REST endpoints the GitOps scripts use, recording every request.

Test support only (the scripts talk plain HTTP to `$GITHUB_API_URL`): issue comments on PRs, issues, and the
pull requests of a commit, kept in memory. Like GitHub it requires the token, pages lists with a `Link`
header, refuses bodies over 65,535 characters (422) and reports the token's login as the author.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BOT = "github-actions[bot]"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    token: str
    repo: str = "acme/tempovault-ops"
    login: str = BOT
    page_size: int = 100
    url: str = ""
    requests: list[Recorded] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # issue/PR number -> comments
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    commit_pulls: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # A fork pull request's GITHUB_TOKEN: may read, every write is refused (403) as GitHub does.
    read_only_token: str = "ghs_fork_read_only_token"
    _next_id: int = 1000

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add_comment(self, number: int, body: str, login: str) -> dict[str, Any]:
        c = {"id": self.new_id(), "body": body, "user": {"login": login}}
        self.comments.setdefault(number, []).append(c)
        return c

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]


class _Handler(BaseHTTPRequestHandler):
    gh: FakeGitHub

    def log_message(self, *args: Any) -> None:
        pass

    def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _page(self, items: list[dict[str, Any]], query: dict[str, str], path: str) -> None:
        size = min(int(query.get("per_page", 30)), self.gh.page_size)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * size: page * size]
        headers = {}
        if page * size < len(items):
            nxt = urllib.parse.urlencode({**query, "page": page + 1})
            headers["Link"] = f'<{self.gh.url}{path}?{nxt}>; rel="next"'
        self._reply(200, chunk, headers)

    def _handle(self, method: str) -> None:
        gh = self.gh
        split = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(split.query))
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        gh.requests.append(Recorded(method, split.path, query, body))
        auth = self.headers.get("Authorization")
        if auth == f"Bearer {gh.read_only_token}" and method != "GET":
            return self._reply(403, {"message": "Resource not accessible by integration"})
        if auth not in (f"Bearer {gh.token}", f"Bearer {gh.read_only_token}"):
            return self._reply(401, {"message": "Bad credentials"})
        if isinstance(body, dict) and len(str(body.get("body") or "")) > 65535:
            return self._reply(422, {"message": "body is too long (maximum is 65536 characters)"})
        prefix = f"/repos/{gh.repo}"
        if not split.path.startswith(prefix):
            return self._reply(404, {"message": "Not Found"})
        route = split.path[len(prefix):]
        if m := re.fullmatch(r"/issues/(\d+)/comments", route):
            number = int(m.group(1))
            if method == "GET":
                return self._page(gh.comments.get(number, []), query, split.path)
            return self._reply(201, gh.add_comment(number, body["body"], gh.login))
        if (m := re.fullmatch(r"/issues/comments/(\d+)", route)) and method == "PATCH":
            for cs in gh.comments.values():
                for c in cs:
                    if c["id"] == int(m.group(1)):
                        c["body"] = body["body"]
                        return self._reply(200, c)
            return self._reply(404, {"message": "Not Found"})
        if route == "/issues" and method == "GET":
            items = [i for i in gh.issues.values() if i["state"] == query.get("state", "open")
                     and ("creator" not in query or i["user"]["login"] == query["creator"])]
            return self._page(items, query, split.path)
        if route == "/issues" and method == "POST":
            number = len(gh.issues) + 1
            gh.issues[number] = {"number": number, "title": body["title"], "body": body.get("body", ""),
                                 "labels": [{"name": n} for n in body.get("labels", [])], "state": "open",
                                 "user": {"login": gh.login}}
            return self._reply(201, gh.issues[number])
        if (m := re.fullmatch(r"/issues/(\d+)", route)) and method == "PATCH":
            issue = gh.issues[int(m.group(1))]
            issue.update({k: v for k, v in body.items() if k in ("title", "body", "state")})
            return self._reply(200, issue)
        if (m := re.fullmatch(r"/commits/([0-9a-f]+)/pulls", route)) and method == "GET":
            return self._reply(200, gh.commit_pulls.get(m.group(1), []))
        return self._reply(404, {"message": "Not Found"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")


@contextmanager
def serve(token: str = "ghs_test_token_not_a_secret", **kwargs: Any) -> Iterator[FakeGitHub]:
    gh = FakeGitHub(token=token, **kwargs)
    handler = type("Handler", (_Handler,), {"gh": gh})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    gh.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gh
    finally:
        server.shutdown()
        server.server_close()
