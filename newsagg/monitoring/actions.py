"""Alerts: Spidermon actions run when a health check failed.

Each is on only when its setting is set (docs/ARCHITECTURE.md "Health checks"):
``NEWSAGG_ALERT_EMAIL_TO`` (+ ``NEWSAGG_ALERT_SMTP_*``), ``NEWSAGG_ALERT_WEBHOOK_URL``
(Slack-style JSON POST: ``{"text": ...}``), ``NEWSAGG_ALERT_FILE_DIR`` (a JSON file per failed run).
A failing alert is logged by Spidermon as an action error; the data are not affected.
"""

from __future__ import annotations

import json
import os
import smtplib
import urllib.request
from email.message import EmailMessage
from pathlib import Path

from spidermon.core.actions import Action

from newsagg.monitoring.health import Health

#: Seconds an alert may take (SMTP, webhook) before it gives up.
TIMEOUT = 10.0


def configured(settings) -> list[type[Action]]:
    """The alert actions whose settings are set."""
    out = []
    if settings.getlist("NEWSAGG_ALERT_EMAIL_TO"):
        out.append(EmailAlert)
    if settings.get("NEWSAGG_ALERT_WEBHOOK_URL"):
        out.append(WebhookAlert)
    if settings.get("NEWSAGG_ALERT_FILE_DIR"):
        out.append(FileDropAlert)
    return out


class HealthAlert(Action):
    """Base: the run's health and a short text report of it."""

    def __init__(self, settings=None):
        super().__init__()
        self.settings = settings

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings)

    def health(self) -> Health:
        return Health(list(self.data.meta.get("newsagg_checks", [])))

    def facts(self) -> dict:
        spider = self.data.spider
        stats = self.data.stats
        return {
            "spider": spider.name,
            "site": getattr(spider, "site", None) or spider.name,
            "run_id": stats.get("newsagg/run/id"),
            "items_written": stats.get("item_scraped_count", 0),
        }

    def subject(self) -> str:
        f = self.facts()
        failed = ", ".join(c.name for c in self.health().failed)
        return f"[newsagg] {f['site']} run {f['run_id']}: health FAILED ({failed})"

    def text(self) -> str:
        f, health = self.facts(), self.health()
        lines = [
            self.subject(),
            f"{f['items_written']} record(s) written; the files and state were committed as usual.",
        ]
        lines += [f"- {'ok  ' if c.ok else 'FAIL'} {c.name}: {c.message}" for c in health.checks]
        return "\n".join(lines)


class EmailAlert(HealthAlert):
    """E-mail over SMTP (``NEWSAGG_ALERT_SMTP_HOST/PORT/USER/PASSWORD/STARTTLS``)."""

    def run_action(self):
        s = self.settings
        msg = EmailMessage()
        msg["Subject"] = self.subject()
        msg["From"] = s.get("NEWSAGG_ALERT_EMAIL_FROM")
        msg["To"] = ", ".join(s.getlist("NEWSAGG_ALERT_EMAIL_TO"))
        msg.set_content(self.text())
        with smtplib.SMTP(
            s.get("NEWSAGG_ALERT_SMTP_HOST"),
            s.getint("NEWSAGG_ALERT_SMTP_PORT"),
            timeout=TIMEOUT,
        ) as smtp:
            if s.getbool("NEWSAGG_ALERT_SMTP_STARTTLS"):
                smtp.starttls()
            if s.get("NEWSAGG_ALERT_SMTP_USER"):
                smtp.login(s.get("NEWSAGG_ALERT_SMTP_USER"), s.get("NEWSAGG_ALERT_SMTP_PASSWORD") or "")
            smtp.send_message(msg)


class WebhookAlert(HealthAlert):
    """A Slack-style incoming-webhook POST: ``{"text": ..., "newsagg": {...}}``."""

    def run_action(self):
        body = {"text": self.text(), "newsagg": {**self.facts(), "health": self.health().to_dict()}}
        req = urllib.request.Request(
            self.settings.get("NEWSAGG_ALERT_WEBHOOK_URL"),
            data=json.dumps(body).encode("utf-8"),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=TIMEOUT) as resp:
            resp.read()


class FileDropAlert(HealthAlert):
    """``<NEWSAGG_ALERT_FILE_DIR>/<site>-<run id>.health.json``, written atomically."""

    def run_action(self):
        f = self.facts()
        directory = Path(self.settings.get("NEWSAGG_ALERT_FILE_DIR"))
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{f['site']}-{f['run_id']}.health.json"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(
            json.dumps({**f, "health": self.health().to_dict(), "text": self.text()}, ensure_ascii=False, indent=1)
            + "\n",
            encoding="utf-8",
        )
        os.replace(tmp, path)
