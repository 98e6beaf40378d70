"""Shared fixtures: the local cloud (moto's server + the local AppConfig service); see localcloud.testing."""

import os

from hypothesis import settings

pytest_plugins = ["localcloud.testing"]

# Property tests draw the same examples on every run unless HYPOTHESIS_PROFILE says otherwise
# (`explore` draws new ones), so `make test` on a given commit is repeatable.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
