"""What every benchmark shares: the figure format, statistics, fresh-process timings, the report."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import InitVar, asdict, dataclass, field
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
    paired: InitVar[Paired | None] = None
    """Per-run ratios: the figure's ratio is then their median, and ``spread`` says how they vary."""
    spread: str = field(init=False, default="")

    def __post_init__(self, paired: Paired | None) -> None:
        if paired is not None:
            ratio = paired.median
            object.__setattr__(self, "spread", paired.describe())
        else:
            ratio = self.value / self.baseline_value if self.baseline_value else float("inf")
        object.__setattr__(self, "ratio", round(ratio, 3))


@dataclass(frozen=True)
class Paired:
    """``ours[i] / baseline[i]`` for runs measured side by side: machine noise mostly cancels."""

    ratios: tuple[float, ...]

    @classmethod
    def of(cls, ours: list[float], baseline: list[float]) -> Paired:
        return cls(tuple(o / b for o, b in zip(ours, baseline, strict=True)))

    @property
    def median(self) -> float:
        return statistics.median(self.ratios)

    def describe(self) -> str:
        return (
            f"median of {len(self.ratios)} paired ratios; p25-p75 {percentile(list(self.ratios), 25):.2f}-"
            f"{percentile(list(self.ratios), 75):.2f}, min-max {min(self.ratios):.2f}-{max(self.ratios):.2f}"
        )


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def spread(samples: list[float], unit: str = "ms") -> str:
    """How the samples behind a median vary: their middle half."""
    if len(samples) < 2:
        return f"n={len(samples)}"
    quartiles = statistics.quantiles(samples, n=4)
    return f"median of {len(samples)}, middle half {quartiles[0]:.3g}-{quartiles[2]:.3g} {unit}"


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


def alternating(runs: int, *measures: object, swap: bool = False) -> list[list[float]]:
    """Run each measure once per round, in turn, so machine noise falls on all of them alike.

    ``swap``: reverse the order every other round, so neither always runs first."""
    results: list[list[float]] = [[] for _ in measures]
    for round_ in range(runs):
        order = list(zip(results, measures, strict=True))
        if swap and round_ % 2:
            order.reverse()
        for samples, measure in order:
            samples.append(measure())  # type: ignore[operator]
    return results


def report(figures: list[Figure], path: Path = ROOT / "bench-results.json") -> None:
    width = max(len(f.name) for f in figures)
    print(f"{'figure':<{width}}  {'ours':>12}  {'baseline':>12}  {'ratio':>7}  baseline / goal")
    for f in figures:
        print(
            f"{f.name:<{width}}  {f.value:>9.3f} {f.unit:<2}  {f.baseline_value:>9.3f} {f.unit:<2}  "
            f"{f.ratio:>7.3f}  {f.baseline}"
            + (f"  ({f.spread})" if f.spread else "")
            + (f"  [goal: {f.goal}]" if f.goal else "")
        )
    rows = [{k: v for k, v in asdict(f).items() if k != "goal"} | {"goal": f.goal} for f in figures]
    path.write_text(json.dumps(rows, indent=2) + "\n")
    print(f"\nwrote {path.name}")
