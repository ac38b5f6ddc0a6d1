"""The health result of one run: each check, its value, threshold and verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Check:
    """One check's verdict. ``value``/``threshold`` are shares (0..1) or counts."""

    name: str
    ok: bool
    value: float | int | None
    threshold: float | int | None
    message: str

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Health:
    """All checks of a run; ``status`` is ``failed`` when any check failed."""

    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def status(self) -> str:
        return "ok" if self.ok else "failed"

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]

    def to_dict(self) -> dict:
        """The manifest's ``health`` object."""
        return {"status": self.status, "checks": [c.to_dict() for c in self.checks]}

    def format(self) -> str:
        """The summary's health block: one aligned line per check."""
        lines = [f"  health: {self.status.upper()}"]
        for c in self.checks:
            lines.append(
                f"    {'pass' if c.ok else 'FAIL'}  {c.name:<22} {_fmt(c.value):>8} "
                f"(threshold {_fmt(c.threshold)})  {c.message}"
            )
        return "\n".join(lines)


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.1%}" if v <= 1 else f"{v:.1f}"
    return str(v)
