#!/usr/bin/env python3
"""Schedule one newsagg crawl on Scrapyd, unless one of the same spider is still pending or running.

For cron (README "Scheduled runs")::

    15 2 * * *  cd /srv/newsagg && .venv/bin/python deploy/schedule.py maghress --data-dir /srv/newsagg/data >> /srv/newsagg/schedule.log 2>&1

Credentials: ``--username``/``--password``, else the environment
(``SCRAPYD_USERNAME``, ``SCRAPYD_PASSWORD``), else ``~/.netrc``. The job gets
``setting=NEWSAGG_DATA_DIR=<data dir>`` (absolute: Scrapyd's working
directory is not the project's), so every run grows the same dataset and
incremental state. Spider arguments: ``-a key=value``; settings: ``-s KEY=VALUE``.

The check (``listjobs.json``) and the schedule are two requests: two
schedulers racing could still start two jobs; the state's per-site lock then
stops the second at once (finish reason ``state_locked``).

Exit status: 0 scheduled or skipped (a line says which), 1 error (bad
credentials, Scrapyd down, unknown spider/project).
Standard library only.
"""

from __future__ import annotations

import argparse
import base64
import json
import netrc
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path


class ScrapydError(RuntimeError):
    """Scrapyd refused or could not be reached."""


def _auth_header(url: str, username: str | None, password: str | None) -> dict[str, str]:
    if not username:
        try:
            found = netrc.netrc().authenticators(urllib.parse.urlsplit(url).hostname or "")
        except (OSError, netrc.NetrcParseError):
            found = None
        if found:
            username, _, password = found
    if not username:
        return {}
    token = base64.b64encode(f"{username}:{password or ''}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def call(
    url: str,
    endpoint: str,
    headers: dict[str, str],
    params: list[tuple[str, str]] | None = None,
    post: bool = False,
    timeout: float = 30,
) -> dict:
    """One Scrapyd API call; its JSON answer (``status`` ok), else :class:`ScrapydError`."""
    query = urllib.parse.urlencode(params or [])
    full = f"{url.rstrip('/')}/{endpoint}"
    data = None
    if post:
        data = query.encode()
    elif query:
        full += "?" + query
    request = urllib.request.Request(full, data=data, headers=headers, method="POST" if post else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            answer = json.loads(resp.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise ScrapydError(
            f"{endpoint}: HTTP {exc.code} {exc.reason}"
            + (" (check SCRAPYD_USERNAME / SCRAPYD_PASSWORD)" if exc.code == 401 else "")
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ScrapydError(f"{endpoint}: {exc}") from None
    if answer.get("status") != "ok":
        raise ScrapydError(f"{endpoint}: {answer.get('message', answer)}")
    return answer


def active_jobs(url: str, headers: dict[str, str], project: str, spider: str) -> list[dict]:
    """Pending or running jobs of *spider* in *project*."""
    jobs = call(url, "listjobs.json", headers, [("project", project)])
    return [j for state in ("pending", "running") for j in jobs.get(state, []) if j.get("spider") == spider]


def schedule(
    url: str,
    project: str,
    spider: str,
    *,
    username: str | None = None,
    password: str | None = None,
    data_dir: str | None = None,
    args: list[str] = (),
    settings: list[str] = (),
) -> tuple[str, str]:
    """Schedule *spider* unless already pending/running: ``("scheduled", jobid)`` or ``("skipped", jobid)``."""
    headers = _auth_header(url, username, password)
    busy = active_jobs(url, headers, project, spider)
    if busy:
        return "skipped", busy[0]["id"]
    params = [("project", project), ("spider", spider)]
    if data_dir:
        params.append(("setting", f"NEWSAGG_DATA_DIR={Path(data_dir).resolve()}"))
    params += [("setting", s) for s in settings]
    for arg in args:
        key, sep, value = arg.partition("=")
        if not sep or not key or key.startswith("_") or key in ("project", "spider", "setting", "jobid"):
            raise ScrapydError(f"bad spider argument {arg!r}: expected key=value")
        params.append((key, value))
    answer = call(url, "schedule.json", headers, params, post=True)
    return "scheduled", answer["jobid"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("spider", help="maghress, djazairess or turess")
    parser.add_argument("--url", default=os.environ.get("SCRAPYD_URL", "http://127.0.0.1:6800"))
    parser.add_argument("--project", default="newsagg")
    parser.add_argument("--username", default=os.environ.get("SCRAPYD_USERNAME"))
    parser.add_argument("--password", default=os.environ.get("SCRAPYD_PASSWORD"))
    parser.add_argument(
        "--data-dir",
        default=os.environ.get("NEWSAGG_DATA_DIR"),
        help="dataset + state directory for the job (NEWSAGG_DATA_DIR)",
    )
    parser.add_argument("-a", dest="args", action="append", default=[], metavar="KEY=VALUE", help="spider argument")
    parser.add_argument("-s", dest="settings", action="append", default=[], metavar="KEY=VALUE", help="setting")
    opts = parser.parse_args(argv)
    try:
        outcome, job = schedule(
            opts.url,
            opts.project,
            opts.spider,
            username=opts.username,
            password=opts.password,
            data_dir=opts.data_dir,
            args=opts.args,
            settings=opts.settings,
        )
    except ScrapydError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if outcome == "skipped":
        print(f"skipped: {opts.spider} already pending or running (job {job})")
    else:
        print(f"scheduled: {opts.spider} job {job}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
