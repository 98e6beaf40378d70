"""The validator beside the fast baseline a user would pick, in one run (each goal as in the README's
benchmark table).

The baseline: libyaml's ``CSafeLoader`` with the garbage collector paused, then fastjsonschema
on the same schema: the fastest way Python has to parse the file and check its shape, and no more
(no located errors, no reading rules, no semantics, no Powertools). Every ratio is ours over it,
measured in alternating rounds (medians; the spread is the 25th-75th percentile):

* warm validation of the repository's own ``feature-file.yml`` and of generated files from 10 KB
  to 1 MB (goals: <= 1.5x at the repository's file and at 10 KB, <= 0.75x at 1 MB), and whether
  the time grows with the size at every step;
* the cold path: import and first validation of ``feature-file.yml`` in a fresh process, with the
  schema's code generated as the function's build generates it (goal: <= 1.3x the baseline's own
  cold path, which compiles the schema), and the handler's (Powertools Logger and Metrics too);
* bounded cost: the worst input known (25,000 bad conditions in about 1 MB) and the slowest input
  of a fuzz corpus of every hostile family up to 1 MB (goal: each <= 1 s; each also beside the
  baseline on the same bytes, which says what a second means on the machine at hand), and a 1 MB
  file with 50 located errors beside the valid 1 MB file (goal: <= 2x).
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import json
import random
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import fastjsonschema
import yaml

from bench.harness import ROOT, Figure, alternating, median, percentile
from bench.validator_corpus import feature_file, hostile, worst_case

VALIDATOR = ROOT / "functions" / "validator"
if str(VALIDATOR) not in sys.path:
    sys.path.insert(0, str(VALIDATOR))

from feature_validator.compiled import write as write_generated  # noqa: E402 - needs the path above
from feature_validator.errors import FeatureFileInvalid  # noqa: E402
from feature_validator.validate import validate  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

SCHEMA_FILE = ROOT / "schemas" / "feature-file.schema.json"
SAMPLE = ROOT / "feature-file.yml"
SIZES = {"10 KB": 10_000, "32 KB": 32_000, "100 KB": 100_000, "320 KB": 320_000, "1 MB": 1_000_000}
GOALS = {"feature-file.yml": 1.5, "10 KB": 1.5, "1 MB": 0.75}
COLD_ROUNDS = 15
CORPUS = 150
BUDGET_MS = 1000.0

_BASELINE_CHECK = fastjsonschema.compile(json.loads(SCHEMA_FILE.read_text()))
BASELINE = "libyaml CSafeLoader (GC paused) + fastjsonschema, same schema"


def baseline(content: bytes) -> None:
    gc.disable()
    try:
        document = yaml.load(content, Loader=yaml.CSafeLoader)
    finally:
        gc.enable()
    _BASELINE_CHECK(document)


def ours(content: bytes) -> None:
    with contextlib.suppress(FeatureFileInvalid):
        validate(content)


def _ms(call: Callable[[], object]) -> Callable[[], float]:
    def measure() -> float:
        started = time.perf_counter()
        call()
        return (time.perf_counter() - started) * 1000

    return measure


def _spread(samples: list[float]) -> str:
    return f"{percentile(samples, 25):.3g}-{percentile(samples, 75):.3g}"


def _rounds(size: int) -> int:
    return max(5, min(41, 4_000_000 // max(size, 1) // 40))


def _warm() -> list[Figure]:
    inputs = {f"feature-file.yml ({SAMPLE.stat().st_size / 1000:.1f} KB)": SAMPLE.read_bytes()}
    inputs |= {name: feature_file(size).encode() for name, size in SIZES.items()}
    figures: list[Figure] = []
    medians: list[float] = []
    for name, content in inputs.items():
        validate(content)  # lazy imports and compiled validators, as in a warm Lambda
        baseline(content)
        mine, base = alternating(
            _rounds(len(content)), _ms(partial(ours, content)), _ms(partial(baseline, content))
        )
        medians.append(median(mine))
        goal = next((f"ratio <= {g}" for key, g in GOALS.items() if name.startswith(key)), "none")
        figures.append(
            Figure(
                f"validator warm, {name} (median of {len(mine)})",
                median(mine),
                "ms",
                BASELINE,
                median(base),
                goal=f"{goal}; p25-p75 ours {_spread(mine)}, baseline {_spread(base)} ms",
            )
        )
    shrinking = sum(1 for a, b in itertools.pairwise(medians) if b < a)
    figures.append(
        Figure(
            "validator warm: steps where a larger file took less time",
            shrinking,
            "",
            "size steps measured",
            len(medians) - 1,
            goal="0 (time grows with size)",
        )
    )
    return figures


def _fresh_ms(code: str, pythonpath: list[Path]) -> float:
    """Milliseconds for ``code`` in a new interpreter (start-up excluded), bytecode as deployed."""
    timed = f"import time; t = time.perf_counter()\n{code}\nprint((time.perf_counter() - t) * 1000)"
    output = subprocess.run(
        [sys.executable, "-c", timed],
        env={"PYTHONPATH": ":".join(map(str, pythonpath)), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return float(output.strip().splitlines()[-1])


_OURS_COLD = (
    "from feature_validator.validate import validate\nvalidate(open('feature-file.yml', 'rb').read())"
)
_HANDLER_COLD = "import feature_validator.handler\n" + _OURS_COLD
_BASELINE_COLD = (
    "import gc, json, yaml, fastjsonschema\n"
    "check = fastjsonschema.compile(json.load(open('schemas/feature-file.schema.json')))\n"
    "gc.disable()\ndocument = yaml.load(open('feature-file.yml', 'rb').read(), Loader=yaml.CSafeLoader)\n"
    "gc.enable()\ncheck(document)"
)


def _cold() -> list[Figure]:
    with tempfile.TemporaryDirectory() as generated:
        write_generated(Path(generated))  # what the function's build puts in the artifact
        path = [VALIDATOR, Path(generated)]
        for code in (_OURS_COLD, _HANDLER_COLD, _BASELINE_COLD):
            _fresh_ms(code, path)  # bytecode written, file cache warm, as a deployed artifact is
        mine, handler, base = alternating(
            COLD_ROUNDS,
            lambda: _fresh_ms(_OURS_COLD, path),
            lambda: _fresh_ms(_HANDLER_COLD, path),
            lambda: _fresh_ms(_BASELINE_COLD, path),
        )
    baseline_cold = "the baseline's cold path: imports, compiling the schema, first validation"
    return [
        Figure(
            f"validator cold path: import + first validation of feature-file.yml (median of {COLD_ROUNDS})",
            median(mine),
            "ms",
            baseline_cold,
            median(base),
            goal=f"ratio <= 1.3; p25-p75 ours {_spread(mine)}, baseline {_spread(base)} ms",
        ),
        Figure(
            f"validator handler cold path: + Powertools Logger and Metrics (median of {COLD_ROUNDS})",
            median(handler),
            "ms",
            baseline_cold,
            median(base),
            goal=f"none; p25-p75 {_spread(handler)} ms",
        ),
    ]


def _parsed(content: bytes) -> None:
    """The baseline on any bytes: parse and check, whatever it raises (it locates nothing)."""
    with contextlib.suppress(Exception):
        baseline(content)


def _bounded() -> list[Figure]:
    figures = []
    worst = worst_case()
    samples, parsed = alternating(5, _ms(lambda: ours(worst)), _ms(lambda: _parsed(worst)))
    name = f"validator: worst known input, 25,000 bad conditions in {len(worst) / 1e6:.2f} MB (median of 5)"
    figures += [
        Figure(
            name,
            median(samples),
            "ms",
            "budget",
            BUDGET_MS,
            goal=f"ratio <= 1; p25-p75 {_spread(samples)} ms",
        ),
        Figure(
            name.replace("validator:", "validator beside a parse:"),
            median(samples),
            "ms",
            f"{BASELINE} on the same bytes (refusing without locating)",
            median(parsed),
            goal="none: how the budget compares with what parsing alone costs on this machine",
        ),
    ]
    timed: list[tuple[float, str, bytes]] = []
    for seed in range(CORPUS):
        family, content = hostile(random.Random(seed), 1_000_000)
        timed.append((_ms(partial(ours, content))(), family, content))
    timed.sort(key=lambda t: t[0], reverse=True)
    # The slowest few are timed again, so one stall of a busy machine does not make the figure.
    again = [(median(alternating(3, _ms(partial(ours, c)))[0]), family, c) for _, family, c in timed[:5]]
    slowest, family, content = max(again, key=lambda t: t[0])
    name = f"validator: slowest of a {CORPUS}-input fuzz corpus up to 1 MB ({family})"
    figures += [
        Figure(name, slowest, "ms", "budget", BUDGET_MS, goal="ratio <= 1"),
        Figure(
            name.replace("validator:", "validator beside a parse:"),
            slowest,
            "ms",
            f"{BASELINE} on the same bytes",
            median(alternating(3, _ms(partial(_parsed, content)))[0]),
            goal="none: as above",
        ),
    ]
    valid = feature_file(1_000_000).encode()
    invalid = feature_file(1_000_000, errors=50).encode()
    mine_valid, mine_invalid = alternating(5, _ms(lambda: ours(valid)), _ms(lambda: ours(invalid)))
    figures.append(
        Figure(
            "validator: 1 MB file with 50 located errors (median of 5)",
            median(mine_invalid),
            "ms",
            "our 1 MB valid case",
            median(mine_valid),
            goal="ratio <= 2",
        )
    )
    return figures


def run() -> list[Figure]:
    return _warm() + _cold() + _bounded()
