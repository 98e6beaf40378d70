"""``python -m rollout``: the same as the ``rollout`` console script."""

from rollout.cli import run

if __name__ == "__main__":
    run()
