"""What the command prints: results on stdout, progress on stderr (a line that updates in place
on a terminal, one line per change otherwise)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from rollout_status.model import Status

from rollout.waiting import status_in

if TYPE_CHECKING:
    from rollout_status.model import Record

    from rollout.waiting import Progress


class ProgressLine:
    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._width = 0

    def __call__(self, progress: Progress) -> None:
        text = describe(progress)
        if self._tty:
            self._stream.write("\r" + text.ljust(self._width))
            self._width = len(text)
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    def done(self) -> None:
        if self._tty and self._width:
            self._stream.write("\n")
            self._stream.flush()


def describe(progress: Progress) -> str:
    if progress.status is None:
        return "waiting for the deploy function to take the upload ..."
    parts = [progress.status.value]
    if progress.deployment_number is not None:
        parts.append(f"deployment {progress.deployment_number}")
    if progress.state:
        parts.append(progress.state)
    if progress.percentage is not None:
        parts.append(f"{progress.percentage:g}%")
    return ": ".join(parts[:2]) + (", " + " ".join(parts[2:]) if len(parts) > 2 else "")


def final_lines(
    record: Record, name: str, environment: str | None, stages: tuple[str, ...] = ()
) -> list[str]:
    """The answer for one version: its status, why, and for a refusal every problem as FILE:L:C."""
    env = status_in(record, environment, stages)
    if env is None:
        return ["no status yet"]
    lines = [f"{env.status.value}: {env.reason}"]
    if env.status is Status.ROLLED_BACK and env.alarm:
        lines.append(f"alarm: {env.alarm}")
    if env.status is Status.REJECTED:
        lines += [f"{name}:{p.line}:{p.column}: {p.path}: {p.message}" for p in record.problems]
    return lines


def stage_cell(record: Record | None, stage: str) -> str:
    """A version's status in one stage and its deployment number: ``deployed #3``."""
    env = record.environments.get(stage) if record else None
    if env is None:
        return ""
    return env.status.value + (f" #{env.deployment_number}" if env.deployment_number is not None else "")


def table(rows: list[dict[str, Any]], stages: tuple[str, ...] = ()) -> list[str]:
    """One row per version; with the stack's stages, a column per stage (status and deployment)."""
    columns = (
        ("version", *stages, "time", "uploader")
        if stages
        else ("version", "status", "deployment", "time", "uploader")
    )
    widths = {c: max(len(c), *(len(str(r.get(c) or "-")) for r in rows)) for c in columns}
    out = ["  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip()]
    for row in rows:
        out.append("  ".join(str(row.get(c) or "-").ljust(widths[c]) for c in columns).rstrip())
    return out


def whole_record(record: Record, *, current: bool) -> list[str]:
    lines = [
        f"s3://{record.bucket}/{record.key} version {record.version_id}" + (" (current)" if current else ""),
        f"uploaded {record.uploader.uploaded_at or '(time unknown)'} "
        f"by {record.uploader.principal or '(unknown)'}",
        f"status: {record.status.value if record.status else 'none yet'}",
    ]
    for name, env in sorted(record.environments.items()):
        number = (
            f"deployment {env.deployment_number}" if env.deployment_number is not None else "no deployment"
        )
        alarm = f", alarm {env.alarm}" if env.alarm else ""
        lines.append(f"  {name}: {env.status.value}, {number}{alarm}: {env.reason}")
    if record.problems:
        lines.append("problems:")
        lines += [f"  {p.line}:{p.column}: {p.path}: {p.message}" for p in record.problems]
    lines.append("history:")
    for entry in record.history:
        number = f"#{entry.deployment_number}" if entry.deployment_number is not None else "-"
        what = f"{entry.status.value:<11} {number:<4} {entry.by}: {entry.reason}"
        lines.append(f"  {entry.at}  {entry.environment}  {what}")
    return lines
