"""Generated feature files for the validator's benchmarks and tests: realistic, any size, optional errors."""

from __future__ import annotations

_DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]


def _flag(i: int) -> str:
    """One flag; every fourth is non-boolean; the rules cycle through the kinds of actions."""
    kind = i % 4
    if kind == 0:
        return f"""\
feature_{i}:
  default: false
  rules:
    premium tenants in the pilot regions {i}:
      when_match: true
      conditions:
        - action: EQUALS
          key: tier
          value: premium
        - action: IN
          key: region
          value: ["eu-west-1", "eu-central-1", "us-east-1"]
    ten percent of users {i}:
      when_match: true
      conditions:
        - action: MODULO_RANGE
          key: user_number
          value: {{BASE: 100, START: 0, END: 9}}
"""
    if kind == 1:
        return f"""\
feature_{i}:
  default: true
  rules:
    not during office hours {i}:
      when_match: false
      conditions:
        - action: SCHEDULE_BETWEEN_TIME_RANGE
          key: CURRENT_TIME
          value: {{START: "09:00", END: "17:30", TIMEZONE: Europe/Copenhagen}}
        - action: SCHEDULE_BETWEEN_DAYS_OF_WEEK
          key: CURRENT_DAY_OF_WEEK
          value:
            DAYS: [{", ".join(_DAYS[:5])}]
"""
    if kind == 2:
        return f"""\
feature_{i}:
  default: false
  rules:
    launch window {i}:
      when_match: true
      conditions:
        - action: SCHEDULE_BETWEEN_DATETIME_RANGE
          key: CURRENT_DATETIME
          value:
            START: "2025-10-01T00:00:00"
            END: "2025-12-31T23:59:59"
            TIMEZONE: UTC
    internal testers {i}:
      when_match: true
      conditions:
        - action: ENDSWITH
          key: email
          value: "@example.com"
        - action: KEY_GREATER_THAN_OR_EQUAL_VALUE
          key: app_version
          value: 42
"""
    return f"""\
feature_{i}:
  boolean_type: false
  default:
    theme: light
    limits: [10, 20]
  rules:
    beta group {i}:
      when_match:
        theme: dark
        limits: [50, 100]
      conditions:
        - action: ANY_IN_VALUE
          key: groups
          value: [beta, staff]
        - action: STARTSWITH
          key: account
          value: "acct-"
"""


# An error per kind that a schema finds (not a semantic one), so the report path is measured.
_ERRORS = [
    ("  default: false\n", "  default: nope-not-a-boolean\n"),
    ("          key: tier\n", "          key: 7\n"),
    ("        - action: EQUALS\n", "        - action: EQUAL\n"),
]


def feature_file(size: int = 1_000_000, errors: int = 0) -> str:
    """A valid feature file of about ``size`` bytes, with ``errors`` schema errors spread through it."""
    parts: list[str] = []
    total = 0
    i = 0
    while total < size:
        text = _flag(i)
        parts.append(text)
        total += len(text)
        i += 1
    if errors:
        step = max(1, len(parts) // errors)
        for n in range(errors):
            index = min(len(parts) - 1, n * step)
            kinds = _ERRORS[n % len(_ERRORS) :] + _ERRORS[: n % len(_ERRORS)]  # vary the kind
            for before, after in kinds:
                if before in parts[index]:
                    parts[index] = parts[index].replace(before, after, 1)
                    break
    return "".join(parts)
