"""The few GitHub REST calls the GitOps scripts make, over plain HTTP (urllib) to `$GITHUB_API_URL`.

No client library: the scripts run on a bare runner with only tempoctl installed, and the tests point
`GITHUB_API_URL` at a local recorder. The token goes in the Authorization header only; errors never echo it.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from typing import Any

COMMENT_LIMIT = 65535  # GitHub refuses longer comment and issue bodies
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHubError(Exception):
    """A GitHub API call failed: method, path, status and GitHub's message (never the token)."""


class GitHub:
    """One repository's API: `GitHub(api_url, token, "owner/name")`."""

    def __init__(self, api_url: str, token: str, repo: str) -> None:
        if not token:
            raise GitHubError("GITHUB_TOKEN is not set")
        if "/" not in repo:
            raise GitHubError(f"GITHUB_REPOSITORY must be owner/name, got {repo!r}")
        self.api = api_url.rstrip("/")
        self.repo = repo
        self._token = token

    def request(self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None) -> Any:
        url = path if path.startswith("http") else f"{self.api}/repos/{self.repo}{path}"
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        return self._send(method, url, body)[0]

    def paginate(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        """Every item of a list endpoint, following `Link: rel="next"`."""
        url: str | None = f"{self.api}/repos/{self.repo}{path}?" + urllib.parse.urlencode({"per_page": 100, **(params or {})})
        while url:
            page, headers = self._send("GET", url, None)
            yield from page
            m = _NEXT.search(headers.get("Link", ""))
            url = m.group(1) if m else None

    def _send(self, method: str, url: str, body: Any) -> tuple[Any, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": f"Bearer {self._token}", "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "tempoctl-gitops",
            **({"Content-Type": "application/json"} if data is not None else {})})
        for attempt in range(3):
            try:
                with urllib.request.urlopen(req, timeout=30) as resp:
                    raw = resp.read()
                    return (json.loads(raw) if raw else None), resp.headers
            except urllib.error.HTTPError as e:
                # 5xx and secondary rate limits are worth one more try; anything else is an answer.
                if (e.code >= 500 or e.code == 429) and attempt < 2:
                    time.sleep(2 ** attempt)
                    continue
                try:
                    message = json.loads(e.read() or b"{}").get("message", "")
                except ValueError:
                    message = ""
                path = urllib.parse.urlsplit(url).path
                raise GitHubError(f"{method} {path}: HTTP {e.code} {message}".rstrip()) from None
            except urllib.error.URLError as e:
                if attempt < 2:
                    time.sleep(2 ** attempt)
                    continue
                raise GitHubError(f"{method} {urllib.parse.urlsplit(url).path}: {e.reason}") from None
        raise AssertionError("unreachable")

    # --- comments on a pull request (GitHub calls them issue comments) ---------------------------------

    def find_comment(self, number: int, marker: str, author: str) -> dict[str, Any] | None:
        """The newest comment on #number by `author` whose first line is exactly `marker` (a marker anywhere
        else, or in someone else's comment, is text, not ours)."""
        found = None
        for c in self.paginate(f"/issues/{number}/comments"):
            first = str(c.get("body") or "").split("\n", 1)[0].rstrip("\r")
            if first == marker and (c.get("user") or {}).get("login") == author:
                found = c
        return found

    def upsert_comment(self, number: int, marker: str, body: str, author: str) -> tuple[int, bool]:
        """Edit the one comment carrying `marker` in place, or post it; returns (comment id, created)."""
        if not body.startswith(marker + "\n"):
            raise ValueError("the body must start with its marker line so the next run finds it")
        existing = self.find_comment(number, marker, author)
        if existing is not None:
            self.request("PATCH", f"/issues/comments/{existing['id']}", {"body": body})
            return int(existing["id"]), False
        made = self.request("POST", f"/issues/{number}/comments", {"body": body})
        return int(made["id"]), True

    # --- issues ---------------------------------------------------------------------------------------

    def find_open_issue(self, marker: str, author: str) -> dict[str, Any] | None:
        """The open issue (not a pull request) opened by `author` whose body's first line is exactly `marker`."""
        for i in self.paginate("/issues", {"state": "open", "creator": author}):
            if "pull_request" not in i and str(i.get("body") or "").split("\n", 1)[0].rstrip("\r") == marker:
                return i
        return None

    def pulls_for_commit(self, sha: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"/commits/{sha}/pulls") or [])

    def merged_pull(self, sha: str) -> dict[str, Any] | None:
        """The pull request whose merge commit is exactly `sha`, or None. Never a PR that merely contains the
        commit: a direct push or a rebased commit must not borrow another PR's conversation."""
        exact = [p for p in self.pulls_for_commit(sha) if p.get("merged_at") and p.get("merge_commit_sha") == sha]
        return exact[0] if len(exact) == 1 else None
