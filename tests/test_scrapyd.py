"""Scheduled runs on a real Scrapyd: deploy with scrapyd-deploy, schedule with
deploy/schedule.py, and grow the dataset run after run.

Scrapyd runs in a temp directory of its own (with deploy/scrapyd.conf, port
and password changed) on a free loopback port; the project is deployed from a
temp copy (the egg build writes setup.py output and build/ next to
scrapy.cfg: never in the shared tree). The replica runs in this process and
swaps to its second edition on the same port.
"""

from __future__ import annotations

import configparser
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from newsagg.layout import manifest_paths
from newsagg.replica import Corpus, FaultPlan, ReplicaServer, expected_records, republication_groups
from newsagg.run import run_tag
from tests.crawling import compare_with_truth, read_csv, read_jsonl

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("newsagg_deploy_schedule", ROOT / "deploy" / "schedule.py")
scheduler = importlib.util.module_from_spec(_spec)  # deploy/schedule.py, the cron helper
_spec.loader.exec_module(scheduler)

USER, PASSWORD = "newsagg", "s3cret-test"
N_ARTICLES, SEED = 150, 23


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE", "SCRAPY_PROJECT")}
    env["HOME"] = str(home)  # no ~/.scrapyd.conf, ~/.netrc or ~/.scrapy.cfg of the machine
    return env


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    conf = configparser.ConfigParser()
    conf.read(ROOT / "deploy" / "scrapyd.conf")
    assert conf["scrapyd"]["bind_address"] == "127.0.0.1" and conf["scrapyd"]["items_dir"]
    assert conf["scrapyd"]["username"] and conf["scrapyd"]["password"]
    conf["scrapyd"].update({"http_port": str(port), "password": PASSWORD, "poll_interval": "0.5", "max_proc": "1"})
    with (home / "scrapyd.conf").open("w") as fh:
        conf.write(fh)
    log = (home / "scrapyd.out").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "scrapyd"], cwd=home, env=clean_env(home), stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"{url}/daemonstatus.json", timeout=2)
            except urllib.error.HTTPError:
                break  # 401: up, and asking for credentials
            except OSError:
                assert proc.poll() is None, (home / "scrapyd.out").read_text()
                assert time.monotonic() < deadline, "scrapyd did not start"
                time.sleep(0.3)
            else:
                pytest.fail("scrapyd answered without authentication")
        yield {"url": url, "home": home, "proc": proc}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def deployed(scrapyd, tmp_path_factory):
    """The project deployed with scrapyd-deploy from a temp copy of the tree."""
    src = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "newsagg", src / "newsagg", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "setup.py", src / "setup.py")
    cfg = (ROOT / "scrapy.cfg").read_text()
    assert "[deploy]" in cfg and "url = http://127.0.0.1:6800\n" in cfg
    (src / "scrapy.cfg").write_text(
        cfg + f"\n[deploy:test]\nurl = {scrapyd['url']}\nusername = {USER}\npassword = {PASSWORD}\n"
    )
    deploy = Path(sys.executable).parent / "scrapyd-deploy"
    proc = subprocess.run(
        [str(deploy), "test", "--version", "1"],
        cwd=src,
        env=clean_env(scrapyd["home"]),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["status"] == "ok" and answer["spiders"] >= 3, answer
    return scrapyd


def api(scrapyd, endpoint: str, params=None, post=False):
    headers = scheduler._auth_header(scrapyd["url"], USER, PASSWORD)
    return scheduler.call(scrapyd["url"], endpoint, headers, params, post=post)


def wait_finished(scrapyd, job: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        jobs = api(scrapyd, "listjobs.json", [("project", "newsagg")])
        if any(j["id"] == job for j in jobs["finished"]):
            return
        time.sleep(0.5)
    raise AssertionError(f"job {job} did not finish:\n" + log_of(scrapyd, job))


def log_of(scrapyd, job: str) -> str:
    path = scrapyd["home"] / "logs" / "newsagg" / "maghress" / f"{job}.log"
    return path.read_text() if path.exists() else "(no log)"


def run_files(data: Path, job: str) -> dict[str, Path]:
    """The files of the job's one segment (a small run publishes one), by suffix."""
    manifests = [m for m in manifest_paths(data / "maghress", "maghress") if f"-{run_tag(job)}-" in m.name]
    assert len(manifests) == 1, manifests
    assert not list((data / "maghress").rglob("*.part"))
    return {p.name.split(".", 1)[1]: p for p in manifests[0].parent.iterdir()}


def records_of(files: dict[str, Path]) -> list[dict]:
    """A segment without records has no JSONL."""
    return read_jsonl(files["jsonl"]) if "jsonl" in files else []


def schedule_and_wait(scrapyd, base_url: str, data: Path) -> tuple[str, dict[str, Path], dict]:
    outcome, job = scheduler.schedule(
        scrapyd["url"],
        "newsagg",
        "maghress",
        username=USER,
        password=PASSWORD,
        data_dir=str(data),
        args=[f"base_url={base_url}"],
    )
    assert outcome == "scheduled"
    # A second schedule while the first is pending/running is skipped.
    again, busy = scheduler.schedule(
        scrapyd["url"],
        "newsagg",
        "maghress",
        username=USER,
        password=PASSWORD,
        data_dir=str(data),
        args=[f"base_url={base_url}"],
    )
    assert (again, busy) == ("skipped", job)
    wait_finished(scrapyd, job)
    log = log_of(scrapyd, job)
    assert "'finish_reason': 'finished'" in log, log[-3000:]
    files = run_files(data, job)
    manifest = json.loads(files["manifest.json"].read_text())
    assert manifest["run_id"] == manifest["scrapyd_job"] == job
    # Scrapyd's own items feed (items_dir) is written as well.
    assert (scrapyd["home"] / "items" / "newsagg" / "maghress" / f"{job}.jl").exists()
    return job, files, manifest


def test_unauthenticated_schedule_is_refused(scrapyd):
    request = urllib.request.Request(f"{scrapyd['url']}/schedule.json", data=b"project=newsagg&spider=maghress")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request, timeout=10)
    assert exc.value.code == 401
    assert scheduler.main(["maghress", "--url", scrapyd["url"], "--username", USER, "--password", "wrong"]) == 1


def test_nightly_runs_grow_the_dataset(deployed, tmp_path):
    data = tmp_path / "data"
    ed1 = Corpus("maghress", n_articles=N_ARTICLES, seed=SEED)
    server = ReplicaServer(ed1)
    server.start()
    try:
        base = server.base_url
        truth1 = expected_records(ed1, base)
        groups = republication_groups(ed1, base)

        # 1. First run: the whole site, exact.
        _, files, manifest = schedule_and_wait(deployed, base, data)
        items = records_of(files)
        problems = compare_with_truth(items, truth1, groups)
        assert not problems, "\n".join(problems[:30])
        assert read_csv(files["csv"]) == [{k: "" if v is None else str(v) for k, v in i.items()} for i in items]
        assert manifest["items_written"] == len(items) and manifest["state"]["marked_stored"] == len(items)
        full_requests = manifest["requests"]

        # 2. Nothing new: zero articles, a few requests.
        _, files, manifest = schedule_and_wait(deployed, base, data)
        assert records_of(files) == [] and manifest["items_written"] == 0
        assert manifest["state"]["skipped_already_stored"] > 0
        nightly_requests = manifest["requests"]
        assert nightly_requests * 5 < full_requests, (nightly_requests, full_requests)

        # 3. The site publishes (edition 2, same port): exactly the new articles.
        ed2 = Corpus("maghress", n_articles=N_ARTICLES, seed=SEED, edition=2)
        server.corpus, server.faults = ed2, FaultPlan.default(ed2)
        server.reset_state()
        truth2 = expected_records(ed2, base)
        new = [t for t in truth2 if t["url"] not in {r["url"] for r in truth1}]
        assert len(new) >= 8
        _, files, manifest = schedule_and_wait(deployed, base, data)
        items = records_of(files)
        problems = compare_with_truth(items, new, [])
        assert not problems, "\n".join(problems[:30])
        print(
            f"\nScrapyd, {N_ARTICLES}-article replica: full run {full_requests} requests, "
            f"no-news run {nightly_requests}, edition-2 run {manifest['requests']} ({len(items)} new)"
        )

        # The union of all runs' files is the site, each article once.
        every = [
            i
            for m in manifest_paths(data / "maghress", "maghress")
            for i in read_jsonl(m.with_name(m.name.replace(".manifest.json", ".jsonl")))
        ]
        problems = compare_with_truth(every, truth2, republication_groups(ed2, base))
        assert not problems, "\n".join(problems[:30])
    finally:
        server.stop()
