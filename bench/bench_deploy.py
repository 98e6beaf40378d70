"""Deploy handler cold import in a fresh process, beside ``import boto3`` alone (goal <= 1.3x)."""

from __future__ import annotations

from bench.harness import ROOT, Figure, alternating, fresh_import_ms, median

RUNS = 15


def run() -> list[Figure]:
    path = [ROOT / "functions" / "deploy"]
    # Warm the file cache and write bytecode once, as a deployed artifact already has it.
    fresh_import_ms("deployer.handler", pythonpath=path)
    ours, boto3 = alternating(
        RUNS,
        lambda: fresh_import_ms("deployer.handler", pythonpath=path),
        lambda: fresh_import_ms("boto3", pythonpath=path),
    )
    return [
        Figure(
            "deploy handler cold import (median of 15)",
            median(ours),
            "ms",
            "import boto3",
            median(boto3),
            goal="ratio <= 1.3",
        )
    ]
