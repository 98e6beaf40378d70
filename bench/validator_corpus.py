"""Generated feature files for the validator's benchmarks and tests: realistic, any size, optional errors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import random

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


# --- hostile inputs: the fuzz tier's families, shared with the benchmark -------------------------
# Each family builds one input from a seeded random source, so the same seed gives the same bytes
# (a benchmark's corpus) and hypothesis can drive it (the tests). ``scale`` bounds the sizes: the
# tests keep it small, the benchmark goes up to AppConfig's 1 MB.

_SAMPLE_FILE = Path(__file__).resolve().parent.parent / "feature-file.yml"
_TOKENS = [
    *("NO", "yes", "off", "12:30", "012", "0o17", "0b101", "1_000", "1e5", "+.5", ".inf", ".nan"),
    *("2025-01-01", "<<", "=", "~", "null", "!!int abc", "!!bool maybe", "!!float x", "!!int ''"),
    *("!!python/object/apply:os.system ['id']", "!!binary aGk=", "!custom x", "! 12", "&a", "*a", "*b"),
    *("'x'", '"\\ud83d"', '"\\U0001F600"', "[", "]", "{", "}", "?", ": ", "- ", "#", "|", ">", "%YAML 1.1"),
]
_CHARACTERS = ["\ufeff", "\x85", "\u2028", "\u2029", "\t", "\r", "\r\n", "\x00", "\x07", "é", "😀", "\\"]


def sample() -> str:
    return _SAMPLE_FILE.read_text(encoding="utf-8")


def _splice(rng: random.Random, text: str, pieces: list[str], count: int) -> str:
    for _ in range(count):
        at = rng.randint(0, len(text))
        end = min(len(text), at + rng.choice([0, 0, 1, 4, 20]))
        text = text[:at] + rng.choice(pieces) + text[end:]
    return text


def random_bytes(rng: random.Random, scale: int) -> bytes:
    return rng.randbytes(rng.randint(0, scale))


def byte_order_marks(rng: random.Random, scale: int) -> bytes:
    text = sample()
    marks = rng.choice(["\ufeff", "\ufeff\ufeff", "\ufeff" * rng.randint(3, 9)])
    lines = text.splitlines(keepends=True)
    at = rng.randint(0, len(lines))
    where = rng.choice(["start", "after-break", "in-value"])
    if where == "start":
        return (marks + text).encode()
    if where == "after-break":
        return "".join([*lines[:at], marks, *lines[at:]]).encode()
    return _splice(rng, text, [marks], 1).encode()


def tags_and_anchors(rng: random.Random, scale: int) -> bytes:
    return _splice(rng, sample(), _TOKENS, rng.randint(1, 6)).encode()


def alias_bombs(rng: random.Random, scale: int) -> bytes:
    width, levels = rng.randint(2, 12), rng.randint(2, 12)
    lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * width)}]" for n in range(1, levels)]
    if rng.random() < 0.3:
        lines.append("loop: &loop [*loop]")
    return "\n".join(lines).encode()


def deep_nesting(rng: random.Random, scale: int) -> bytes:
    depth = rng.randint(1, max(2, scale // 4))
    unit = rng.choice(["[", "{a: ", "- ", "{", "[{a: ["])
    if rng.random() < 0.5:
        return "".join(f"{' ' * i}k{i}:\n" for i in range(min(depth, 2000))).encode()
    return (unit * depth + rng.choice(["", "x", "]" * depth])).encode()


def huge_scalars(rng: random.Random, scale: int) -> bytes:
    size = rng.randint(1, scale)
    value = rng.choice(
        [
            "9" * size,
            "x" * size,
            '"' + "\\u00e9" * (size // 6) + '"',
            "'" + "a'" * (size // 2) + "'",
            "|\n" + "  line\n" * (size // 7),
            "1." + "0" * size + "e+5",
        ]
    )
    return f"flag:\n  boolean_type: false\n  default: {value}\n".encode()


def yaml11_forms(rng: random.Random, scale: int) -> bytes:
    text = sample()
    for word in ('"12:00"', '"13:30"', "42", "100", "false", '"@example.com"', "Europe/Copenhagen"):
        if rng.random() < 0.5:
            text = text.replace(word, rng.choice(_TOKENS[:12]), 1)
    return text.encode()


def line_separators(rng: random.Random, scale: int) -> bytes:
    return _splice(rng, sample(), _CHARACTERS, rng.randint(1, 5)).encode()


def mutations(rng: random.Random, scale: int) -> bytes:
    text = sample() if rng.random() < 0.6 else feature_file(rng.randint(1, max(1, scale)))
    alphabet = [*" \n-:?,[]{}#&*!|>'\"%@`~.0123456789abcNOyes<=\\", *_CHARACTERS]
    for _ in range(rng.randint(1, 6)):
        at = rng.randint(0, len(text))
        end = min(len(text), at + rng.randint(0, 40))
        kind = rng.random()
        if kind < 0.3:
            text = text[:at] + text[end:]
        elif kind < 0.7:
            text = text[:at] + "".join(rng.choices(alphabet, k=rng.randint(1, 12))) + text[at:]
        else:
            text = text[:at] + text[at:end] * rng.randint(2, 5) + text[end:]
    return text.encode("utf-8", "surrogatepass")


def many_errors(rng: random.Random, scale: int) -> bytes:
    """Bad conditions by the thousand, in one rule or spread over flags: what the report costs."""
    count = rng.randint(1, max(1, scale // 40))
    bad = rng.choice(
        [
            "        - {action: EQUAL, key: tier, value: x}\n",
            "        - {action: EQUALS, key: 7, value: null}\n",
            "        - {action: SCHEDULE_BETWEEN_TIME_RANGE, key: CURRENT_TIME,"
            " value: {START: '09:00', END: '09:00'}}\n",
            "        - {action: EQUALS, key: tier, value: NO}\n",
        ]
    )
    if rng.random() < 0.5:
        head = "flag:\n  default: false\n  rules:\n    r:\n      when_match: true\n      conditions:\n"
        return (head + bad * count).encode()
    flag = "f{}:\n  default: false\n  rules:\n    r:\n      when_match: true\n      conditions:\n"
    return "".join(flag.format(i) + bad for i in range(count)).encode()


FAMILIES = {
    "random bytes": random_bytes,
    "byte order marks": byte_order_marks,
    "tags and anchors": tags_and_anchors,
    "alias bombs": alias_bombs,
    "deep nesting": deep_nesting,
    "huge scalars": huge_scalars,
    "YAML 1.1 forms": yaml11_forms,
    "Unicode line separators": line_separators,
    "mutations of valid files": mutations,
    "many errors": many_errors,
}


def hostile(rng: random.Random, scale: int) -> tuple[str, bytes]:
    """One hostile input (its family's name and its bytes)."""
    name = rng.choice(list(FAMILIES))
    return name, FAMILIES[name](rng, scale)


def worst_case(conditions: int = 25_000) -> bytes:
    """The slowest input known before the report was capped: bad conditions filling about 1 MB."""
    head = "flag:\n  default: false\n  rules:\n    r:\n      when_match: true\n      conditions:\n"
    return (head + "        - {action: EQUAL, key: 7}\n" * conditions).encode()
