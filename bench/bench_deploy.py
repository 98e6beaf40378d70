"""Deploy handler cold import in a fresh process, beside ``import boto3`` alone (goal <= 1.2x).

Each run imports both, one after the other in fresh interpreters (the order swapped every other
run); the figure is the median of the per-run ratios, so a busy machine slows both sides of a
ratio alike. Interpreter start-up is excluded; bytecode is written by a first run, as a deployed
artifact carries it.
"""

from __future__ import annotations

from bench.harness import ROOT, Figure, Paired, alternating, fresh_import_ms, median

RUNS = 31
# The handler reads its settings at import, as Lambda's Init does: the variables the template sets.
ENVIRONMENT = {
    "CONFIG_BUCKET": "appconfig-123456789012-bench",
    "CONFIGURATIONS": "feature-file.yml",
    "ENVIRONMENTS": "production",
    "APPCONFIG_APPLICATION_ID": "abc1234",
    "APPCONFIG_PROFILE_ID_featurefileyml": "ghi9012",
    "APPCONFIG_ENVIRONMENT_ID_production": "def5678",
    "APPCONFIG_DEPLOYMENT_STRATEGY_ID": "AppConfig.AllAtOnce",
    "DEPLOY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/deploy.fifo",
    "DEPLOY_QUEUE_MAX_RECEIVES": "10",
}


def run() -> list[Figure]:
    path = [ROOT / "functions" / "deploy"]
    fresh_import_ms("deployer.handler", pythonpath=path, env=ENVIRONMENT)
    fresh_import_ms("boto3", pythonpath=path)
    ours, boto3 = alternating(
        RUNS,
        lambda: fresh_import_ms("deployer.handler", pythonpath=path, env=ENVIRONMENT),
        lambda: fresh_import_ms("boto3", pythonpath=path),
        swap=True,
    )
    return [
        Figure(
            f"deploy handler cold import (median of {RUNS} paired runs)",
            median(ours),
            "ms",
            "import boto3",
            median(boto3),
            goal="ratio <= 1.2",
            paired=Paired.of(ours, boto3),
        )
    ]
