"""The validator beside the naive way, in one run (each goal as in the README's benchmark table).

* A 1 MB valid feature file (AppConfig's S3 limit), parsed and validated, warm: beside
  ``yaml.safe_load`` + ``jsonschema.validate`` (goal: at most 400 ms, at least 6x faster).
* The same, first call in a fresh process (lazy imports, schema compilation): beside the naive
  way in a fresh process.
* A 1 MB file with 50 errors, every one located: beside our valid case (goal: at most 2x); and a
  file wrong in every one of its flags (no goal: shows the cost of the capped report).
* Hostile inputs, each refused: beside the 50 ms budget the issue sets (a budget, not a measure).
* Cold import of the handler in a fresh process: beside a handler that imports YAML, jsonschema and
  Powertools' feature flags up front (goal: at most 150 ms).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import jsonschema
import yaml

from bench.harness import ROOT, Figure, alternating, fresh_import_ms, median
from bench.validator_corpus import feature_file

VALIDATOR = ROOT / "functions" / "validator"
if str(VALIDATOR) not in sys.path:
    sys.path.insert(0, str(VALIDATOR))

from feature_validator.errors import FeatureFileInvalid  # noqa: E402 - needs the path above
from feature_validator.validate import validate  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable

SCHEMA = json.loads((ROOT / "schemas" / "feature-file.schema.json").read_text())
ROUNDS = 3
FAST_ROUNDS = 9
HOSTILE_ROUNDS = 15
BUDGET_MS = 50.0


def _ms(call: Callable[[], object]) -> Callable[[], float]:
    def measure() -> float:
        started = time.perf_counter()
        call()
        return (time.perf_counter() - started) * 1000

    return measure


def _refused(content: bytes) -> Callable[[], None]:
    def call() -> None:
        try:
            validate(content)
        except FeatureFileInvalid:
            return
        raise AssertionError("a hostile input was accepted")

    return call


def _naive(text: str) -> None:
    jsonschema.validate(yaml.safe_load(text), SCHEMA)


def _fresh_process_ms(code: str) -> float:
    """Milliseconds for ``code`` in a new interpreter, interpreter start-up excluded."""
    timed = f"import time; t = time.perf_counter()\n{code}\nprint((time.perf_counter() - t) * 1000)"
    output = subprocess.run(
        [sys.executable, "-c", timed],
        env={"PYTHONPATH": f"{VALIDATOR}:{ROOT}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return float(output.strip().splitlines()[-1])


def _hostile() -> dict[str, bytes]:
    laughs = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    laughs += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
    one_mb = 1_048_576
    return {
        "alias bomb (billion laughs)": "\n".join(laughs).encode(),
        "flow nesting, 1 MB of [": b"[" * one_mb,
        "block nesting, 1 MB of '- '": b"- " * (one_mb // 2),
        "over 1 MB": b"#" * (one_mb + 1),
        "not UTF-8 (last byte of 1 MB)": b"#" * (one_mb - 1) + b"\xff",
        "object-building tag": b"flag:\n  default: !!python/object/apply:os.system ['id']\n",
        "recursive alias": b"flag: &loop\n  default: [*loop]\n",
        "second document after 1 MB": feature_file(1_000_000).encode() + b"---\nmore: {default: true}\n",
        "empty (comments only)": b"# nothing here\n" * 1000,
    }


def run() -> list[Figure]:
    valid = feature_file(1_000_000)
    valid_bytes = valid.encode()
    invalid_bytes = feature_file(1_000_000, errors=50).encode()
    validate(valid_bytes)  # warm: lazy imports and the compiled schema, as in a warm Lambda
    ours, naive = alternating(ROUNDS, _ms(lambda: validate(valid_bytes)), _ms(lambda: _naive(valid)))
    ours += alternating(FAST_ROUNDS - ROUNDS, _ms(lambda: validate(valid_bytes)))[0]
    everywhere = "".join(f"flag_{i}: {{default: maybe}}\n" for i in range(34_000)).encode()  # < 1 MB
    ours_valid, ours_invalid, ours_everywhere = alternating(
        ROUNDS * 2,
        _ms(lambda: validate(valid_bytes)),
        _ms(_refused(invalid_bytes)),
        _ms(_refused(everywhere)),
    )
    corpus = "from bench.validator_corpus import feature_file\ncontent = feature_file(1_000_000)\n"
    first_ours, first_naive = alternating(
        ROUNDS,
        lambda: _fresh_process_ms(
            corpus + "from feature_validator.validate import validate\nvalidate(content.encode())"
        ),
        lambda: _fresh_process_ms(
            corpus + "import json, yaml, jsonschema\n"
            "schema = json.load(open('schemas/feature-file.schema.json'))\n"
            "jsonschema.validate(yaml.safe_load(content), schema)"
        ),
    )
    figures = [
        Figure(
            "validator: 1 MB valid file, warm (median)",
            median(ours),
            "ms",
            "yaml.safe_load + jsonschema.validate",
            median(naive),
            goal="<= 400 ms and ratio <= 0.167 (6x faster)",
        ),
        Figure(
            "validator: 1 MB valid file, first call in a fresh process",
            median(first_ours),
            "ms",
            "the naive way in a fresh process",
            median(first_naive),
            goal="ratio <= 0.167",
        ),
        Figure(
            "validator: 1 MB file with 50 located errors (median)",
            median(ours_invalid),
            "ms",
            "our 1 MB valid case",
            median(ours_valid),
            goal="ratio <= 2",
        ),
        Figure(
            f"validator: {len(everywhere) / 1e6:.2f} MB file wrong in each of its 34,000 flags (median)",
            median(ours_everywhere),
            "ms",
            "our 1 MB valid case",
            median(ours_valid),
            goal="none set; 50 itemised, the rest counted",
        ),
    ]
    for name, content in _hostile().items():
        samples = alternating(HOSTILE_ROUNDS, _ms(_refused(content)))[0]
        figures.append(
            Figure(
                f"validator refuses: {name} (max)", max(samples), "ms", "budget", BUDGET_MS, goal="ratio <= 1"
            )
        )
    path = [VALIDATOR]
    eager = (
        "import yaml, jsonschema, aws_lambda_powertools.logging\n"
        "import aws_lambda_powertools.utilities.feature_flags"
    )
    fresh_import_ms("feature_validator.handler", pythonpath=path)  # bytecode written, file cache warm
    handler, naive_imports = alternating(
        15,
        lambda: fresh_import_ms("feature_validator.handler", pythonpath=path),
        lambda: _fresh_process_ms(eager),
    )
    figures.append(
        Figure(
            "validator handler cold import (median of 15)",
            median(handler),
            "ms",
            "importing YAML, jsonschema and Powertools feature flags up front",
            median(naive_imports),
            goal="<= 150 ms",
        )
    )
    return figures
