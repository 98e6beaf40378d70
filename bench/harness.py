"""What every benchmark shares: the figure format, statistics, fresh-process timings, the report."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    goal: str = ""
    ratio: float = field(init=False)

    def __post_init__(self) -> None:
        ratio = self.value / self.baseline_value if self.baseline_value else float("inf")
        object.__setattr__(self, "ratio", round(ratio, 3))


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def fresh_import_ms(module: str, *, pythonpath: list[Path], env: dict[str, str] | None = None) -> float:
    """Milliseconds to import ``module`` in a new interpreter (interpreter start-up excluded)."""
    code = (
        "import time; t = time.perf_counter(); import importlib; "
        f"importlib.import_module({module!r}); print((time.perf_counter() - t) * 1000)"
    )
    run_env = {**os.environ, **(env or {}), "PYTHONPATH": os.pathsep.join(str(p) for p in pythonpath)}
    # A deployed artifact carries bytecode; let the warm-up run write ours (git ignores it).
    run_env.pop("PYTHONDONTWRITEBYTECODE", None)
    output = subprocess.run(
        [sys.executable, "-c", code], env=run_env, capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return float(output.strip().splitlines()[-1])


def alternating(runs: int, *measures: object) -> list[list[float]]:
    """Run each measure once per round, in turn, so machine noise falls on all of them alike."""
    results: list[list[float]] = [[] for _ in measures]
    for _ in range(runs):
        for samples, measure in zip(results, measures, strict=True):
            samples.append(measure())  # type: ignore[operator]
    return results


def report(figures: list[Figure], path: Path = ROOT / "bench-results.json") -> None:
    width = max(len(f.name) for f in figures)
    print(f"{'figure':<{width}}  {'ours':>12}  {'baseline':>12}  {'ratio':>7}  baseline / goal")
    for f in figures:
        print(
            f"{f.name:<{width}}  {f.value:>9.3f} {f.unit:<2}  {f.baseline_value:>9.3f} {f.unit:<2}  "
            f"{f.ratio:>7.3f}  {f.baseline}" + (f"  [goal: {f.goal}]" if f.goal else "")
        )
    rows = [{k: v for k, v in asdict(f).items() if k != "goal"} | {"goal": f.goal} for f in figures]
    path.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\nwrote {path.name}")
