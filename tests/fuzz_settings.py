"""How hard the fuzz tier tries: a few examples in ``make test``, as many as asked in ``make fuzz``.

``FUZZ_EXAMPLES`` is the number of examples per test and ``FUZZ_SCALE`` the largest input in
bytes; ``make fuzz`` sets both higher and runs rounds with new seeds until ``FUZZ_SECONDS`` pass.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
SCALE = int(os.environ.get("FUZZ_SCALE", "4000"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
