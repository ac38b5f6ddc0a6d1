"""The package: pyproject.toml's ranges hold requirements.txt's pins, and ``pip install``
of the tree alone, in a fresh venv, gives a ``newsagg`` that crawls from any directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
import venv
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from newsagg.layout import manifest_paths
from tests.crawling import compare_with_truth, read_jsonl

ROOT = Path(__file__).resolve().parents[1]
#: Installed by ./run setup for building, not used by newsagg at run time.
BUILD_ONLY = {"wheel"}


def declared() -> dict[str, list[Requirement]]:
    """pyproject.toml's requirements: ``core`` and each extra."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    out = {"core": [Requirement(r) for r in project["dependencies"]]}
    for extra, reqs in project["optional-dependencies"].items():
        out[extra] = [Requirement(r) for r in reqs]
    return out


def pins() -> dict[str, Requirement]:
    out = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            req = Requirement(line)
            out[canonicalize_name(req.name)] = req
    return out


def test_pyproject_ranges_hold_the_pins():
    pinned = pins()
    seen = set()
    for group, reqs in declared().items():
        for req in reqs:
            name = canonicalize_name(req.name)
            if name == "newsagg":  # dev = the other extras
                assert req.extras == {"render", "distributed", "dataset", "scrapyd"}, req
                continue
            seen.add(name)
            assert name in pinned, f"{group}: {req} has no pin in requirements.txt"
            version = next(iter(pinned[name].specifier)).version if pinned[name].specifier else None
            if version is not None and not str(pinned[name].specifier).startswith("<"):
                assert req.specifier.contains(version), f"{group}: {req} excludes the pinned {version}"
    assert set(pinned) - seen == BUILD_ONLY, "pinned but not declared in pyproject.toml"


def test_core_needs_no_optional_part():
    core = {canonicalize_name(r.name) for r in declared()["core"]}
    for optional in ("playwright", "scrapy-playwright", "scrapy-redis", "redis", "matplotlib", "pandas", "scrapyd"):
        assert optional not in core


@pytest.fixture(scope="module")
def core_install(tmp_path_factory):
    """A fresh venv with ``pip install <copy of the tree>``: the core dependencies only."""
    base = tmp_path_factory.mktemp("pkg")
    src = base / "src"
    src.mkdir()
    shutil.copytree(ROOT / "newsagg", src / "newsagg", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "setup.py"):
        shutil.copy(ROOT / name, src / name)
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    pip = subprocess.run(
        [str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", str(src)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    return env_dir


def run_installed(env_dir: Path, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SCRAPY_SETTINGS_MODULE", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(env_dir / "bin" / "newsagg"), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_pip_install_alone_gives_a_newsagg_that_crawls_exactly(core_install, make_replica, tmp_path):
    site = make_replica(site="maghress", n_articles=60, seed=17)
    optional = subprocess.run(
        [
            str(core_install / "bin" / "python"),
            "-c",
            "import importlib.util as u; print(*[m for m in ('playwright', 'scrapy_playwright', 'scrapy_redis', "
            "'matplotlib', 'pandas', 'duckdb', 'scrapyd') if u.find_spec(m)])",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert optional.stdout.strip() == "", f"the core install pulled in {optional.stdout}"
    proc = run_installed(
        core_install, ["crawl", "maghress", "-a", f"base_url={site.base_url}", "-O", "out.jsonl"], tmp_path
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    problems = compare_with_truth(read_jsonl(tmp_path / "out.jsonl"), site.truth, site.republication_groups)
    assert not problems, "\n".join(problems[:20])
    # A dataset run (CSV, JSONL, Parquet, WARC, manifest, state) works on the core install too ...
    data = run_installed(core_install, ["crawl", "maghress", "-a", f"base_url={site.base_url}"], tmp_path)
    assert data.returncode == 0, data.stderr[-3000:]
    (manifest,) = manifest_paths(tmp_path / "data" / "maghress", "maghress")
    suffixes = {p.name.split(".", 1)[1] for p in manifest.parent.iterdir()}
    assert {"csv", "jsonl", "manifest.json", "parquet", "warc.gz"} <= suffixes, suffixes
    # ... the release needs the dataset extra, and says so in one line.
    build = run_installed(core_install, ["dataset", "build", "maghress", "--out", "release"], tmp_path)
    assert build.returncode == 2 and build.stdout == ""
    assert build.stderr == "newsagg dataset build: needs matplotlib: pip install 'newsagg[dataset]'\n"
    reextract = run_installed(
        core_install, ["reextract", "maghress", "--data-dir", "data", "-o", "re.jsonl", "--release", "r"], tmp_path
    )
    assert reextract.returncode == 2 and not (tmp_path / "re.jsonl").exists()
    assert reextract.stderr == "newsagg reextract: --release needs matplotlib: pip install 'newsagg[dataset]'\n"
    # No workers without the distributed extra.
    worker = run_installed(core_install, ["crawl", "maghress_worker"], tmp_path)
    assert worker.returncode == 1 and "unknown spider 'maghress_worker'" in worker.stderr


def test_without_playwright_pages_that_need_a_browser_fail_with_the_fix(core_install, make_replica, tmp_path):
    site = make_replica(site="turess", n_articles=20, seed=5)
    proc = run_installed(
        core_install,
        ["crawl", "turess", "-a", f"base_url={site.base_url}", "-a", "render=always", "-O", "out.jsonl"],
        tmp_path,
    )
    assert proc.returncode in (0, 3), proc.stderr[-3000:]  # ran to its end (the health verdict is not ours here)
    errors = [line for line in proc.stderr.splitlines() if "Browser rendering unavailable" in line]
    assert len(errors) == 1 and "Playwright is not installed" in errors[0], proc.stderr[-3000:]
    assert "pip install 'newsagg[render]'" in errors[0] and "Traceback" not in proc.stderr
    assert "render_unavailable" in proc.stderr and read_jsonl(tmp_path / "out.jsonl") == []
