"""Which Chromium to launch, and what it may download.

The path: the environment variable ``NEWSAGG_CHROMIUM`` first (the machine's
browser), else ``NEWSAGG_CHROMIUM_PATH`` (default Debian's
``/usr/bin/chromium``); ``playwright`` means the one ``playwright install
chromium`` downloaded. Images, media and fonts are never downloaded.
"""

from __future__ import annotations

import os
import shutil

ENV_VAR = "NEWSAGG_CHROMIUM"
SETTING = "NEWSAGG_CHROMIUM_PATH"
PLAYWRIGHT_OWN = "playwright"

#: Resource types never fetched while rendering: the text does not need them.
BLOCKED_RESOURCES = frozenset({"image", "media", "font"})

FIX_HINT = (
    "install Chromium (Debian/Ubuntu, also offline mirrors: `apt-get install -y chromium`, "
    "or `./run setup` as root), or on a machine with internet `playwright install chromium` "
    f"and {ENV_VAR}={PLAYWRIGHT_OWN}; or point {ENV_VAR} (env) / {SETTING} (setting) at a Chromium binary"
)


def chromium_path(settings) -> tuple[str, str]:
    """(path, where it came from): the env var wins over the setting."""
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return env, f"env {ENV_VAR}"
    return (settings.get(SETTING) or PLAYWRIGHT_OWN).strip(), f"setting {SETTING}"


def missing_executable(path: str) -> str | None:
    """Why *path* cannot be launched (None when it looks launchable)."""
    if path == PLAYWRIGHT_OWN:
        return None  # Playwright reports a missing download itself at launch
    resolved = path if os.sep in path else shutil.which(path)
    if not resolved or not os.path.isfile(resolved):
        return f"no Chromium executable at {path!r}"
    if not os.access(resolved, os.X_OK):
        return f"{path!r} is not executable"
    return None


def launch_options(settings, path: str) -> dict:
    """``PLAYWRIGHT_LAUNCH_OPTIONS`` with the chosen executable."""
    options = dict(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))
    options.pop("executable_path", None)
    if path != PLAYWRIGHT_OWN:
        options["executable_path"] = path
    return options


def abort_heavy_request(request) -> bool:
    """``PLAYWRIGHT_ABORT_REQUEST``: skip images, media and fonts while rendering."""
    return request.resource_type in BLOCKED_RESOURCES


async def repair_mixed_documents(page, request) -> None:
    """``playwright_page_init_callback``: serve a page mixing UTF-8 and
    windows-1252 fragments to Chromium as clean UTF-8, so its DOM keeps every
    letter (a browser decodes one charset per page; the plain-HTTP path does
    the same repair in ``CharsetMiddleware``). ``request.meta`` gets
    ``newsagg_charset_mixed`` so the middleware counts the page."""
    from newsagg.middlewares.charset import repair_mixed

    async def handle(route, pw_request) -> None:
        if pw_request.resource_type != "document":
            await route.fallback()
            return
        # The navigation keeps the Scrapy request's headers (as scrapy-playwright would send them).
        headers = {
            **pw_request.headers,
            **{k.decode("latin-1").lower(): b", ".join(v).decode("latin-1") for k, v in request.headers.items()},
        }
        response = await route.fetch(headers=headers)
        fixed = repair_mixed(await response.body())
        if fixed is None:
            await route.fulfill(response=response)
            return
        request.meta["newsagg_charset_mixed"] = True
        out = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
        out["content-type"] = "text/html; charset=utf-8"
        await route.fulfill(response=response, body=fixed, headers=out)

    await page.route("**", handle)
