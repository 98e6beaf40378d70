"""``python -m bench [name ...]``: run every ``bench/bench_*.py`` (or the named ones) and report."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from bench.harness import Figure, report


def main(argv: list[str]) -> None:
    names = argv or sorted(p.stem.removeprefix("bench_") for p in Path(__file__).parent.glob("bench_*.py"))
    figures: list[Figure] = []
    for name in names:
        module = importlib.import_module(f"bench.bench_{name}")
        print(f"running {name} ...", flush=True)
        figures.extend(module.run())
    report(figures)


if __name__ == "__main__":
    main(sys.argv[1:])
