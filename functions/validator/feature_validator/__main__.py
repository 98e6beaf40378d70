"""``python -m feature_validator FILE...``: the Lambda's checks on local files, as compiler-style lines.

Each problem prints as ``FILE:LINE:COLUMN: PATH: MESSAGE``. Exit status: 0 when every file is
valid, 1 when one is invalid, 2 when one cannot be read (the highest wins).
"""

from __future__ import annotations

import sys
from pathlib import Path

from feature_validator.errors import FeatureFileInvalid
from feature_validator.validate import validate

VALID, INVALID, UNREADABLE = 0, 1, 2


def check_file(name: str) -> int:
    try:
        content = Path(name).read_bytes()
    except OSError as error:
        print(f"{name}: cannot read: {error.strerror or error}", file=sys.stderr)
        return UNREADABLE
    try:
        validate(content)
    except FeatureFileInvalid as error:
        for problem in error.problems:
            print(f"{name}:{problem.line}:{problem.column}: {problem.path}: {problem.message}")
        if error.more:
            print(f"{name}: ... and {error.more_prefix()}{error.more} more")
        return INVALID
    except Exception as error:  # the Lambda refuses such a file too; the fuzz tests find none
        print(f"{name}:1:1: $: the validator failed on this file ({type(error).__name__}); it is refused")
        return INVALID
    return VALID


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m feature_validator FILE...", file=sys.stderr)
        return UNREADABLE if not argv else VALID
    return max(check_file(name) for name in argv)


def run() -> None:
    """The ``validate-feature-file`` command that ``pip install .`` (and so pre-commit) installs."""
    sys.exit(main(sys.argv[1:]))


if __name__ == "__main__":
    run()
