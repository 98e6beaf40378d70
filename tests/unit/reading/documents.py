"""Generated documents for the differential tests: data written the ways people write YAML and JSON,
with the scalars, characters and constructs that readers are known to read differently.

Leaves are written as raw text (plain, single- or double-quoted, or JSON), so a value such as
``NO``, ``012``, ``12:30`` or ``1E5`` can appear unquoted, exactly where a reader parts from the
others; mutations then add what a file picks up on its way (BOMs, tabs, CRLF, anchors and tags).
"""

from __future__ import annotations

import json

from hypothesis import strategies as st

# Unquoted scalars: each is read alike by every reader, or is a known case where they differ.
PLAIN = [
    *("premium", "tier", "EQUALS", "MONDAY", "eu-west-1", "a b", "x-y", "café", "acct-1", "09:00x"),
    *("true", "false", "True", "FALSE", "null", "Null", "~", "0", "7", "-3", "+12", "00", "007"),
    *("1.5", "-0.25", "1.", "1.0e+5", "2.5E-3", "0x1F", ".5", "-0"),
    # YAML 1.1 (PyYAML) and YAML 1.2 part ways:
    *("NO", "yes", "On", "off", "Y", "n", "012", "08", "0o17", "0b101", "1_000", "12:30", "1:30.5"),
    *("1e5", "1E5", "1.0e5", "+.5", "-.5", "-0x1F", "1e400", ".inf", "-.Inf", ".nan", "NaN", "Infinity"),
    *("2001-12-14", "2026-12-20T00:00:00", "=", "<<", "1" * 4301),
    # characters parsers treat differently
    *("x?y", "a#b", "what?", "k\u2028v"),
]
QUOTED_TEXT = [
    "",
    "NO",
    "012",
    "12:30",
    "a: b",
    "# not a comment",
    "- x",
    "x\ty",
    "line\nbreak",
    "\x85",
    "\u2028",
    "\u2029",
    "\ufeff",
    "é",
    "😀",
    "\\",
    "'",
    '"',
    "\x07",
    "  padded  ",
]
TAGGED = ["12", "0x1F", "abc", '"12"', "yes", "true", "1.5", "", "aGk=", "012", "1e5"]
ESCAPES = [
    "\\t",
    "\\n",
    "\\u00e9",
    "\\/",
    "\\N",
    "\\L",
    "\\P",
    "\\ud83d\\ude00",
    "\\U0001F600",
    "\\x41",
    "\\e",
]


@st.composite
def scalar(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["plain", "plain", "double", "single", "escaped", "json-number", "tagged"]))
    if kind == "plain":
        return draw(st.sampled_from(PLAIN))
    if kind == "double":
        return json.dumps(draw(st.sampled_from(QUOTED_TEXT)), ensure_ascii=draw(st.booleans()))
    if kind == "single":
        return "'" + draw(st.sampled_from(QUOTED_TEXT)).replace("'", "''") + "'"
    if kind == "escaped":
        return '"' + "".join(draw(st.lists(st.sampled_from(ESCAPES), min_size=1, max_size=3))) + '"'
    if kind == "json-number":
        return draw(st.sampled_from(["1E5", "1e-3", "-0.0", "10", "1.5e+2", "NaN", "Infinity", "-Infinity"]))
    tag = draw(st.sampled_from(["!!int", "!!float", "!!bool", "!!null", "!!str", "!", "!!binary", "!custom"]))
    return f"{tag} {draw(st.sampled_from(TAGGED))}"


KEYS = st.one_of(
    st.sampled_from(
        ["premium", "flag_1", "default", "rules", "a rule", '"q"', "'s'", "on", "12", "1e5", "x?y"]
    ),
    st.sampled_from(["<<", "null", '""', "é"]),
)


def _flow(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return str(value)


def _block(value: object, indent: int, flow_at: int) -> list[str]:
    """Block lines for ``value`` at ``indent`` spaces; collections ``flow_at`` deep are in flow style."""
    pad = " " * indent
    if not isinstance(value, dict | list) or flow_at <= 0:
        return [pad + _flow(value)]
    lines: list[str] = []
    items = value.items() if isinstance(value, dict) else ((None, v) for v in value)
    for key, item in items:
        head = f"{pad}{key}:" if key is not None else f"{pad}-"
        if isinstance(item, dict | list) and item and flow_at > 1:
            lines.append(head)
            lines += _block(item, indent + 2, flow_at - 1)
        else:
            lines.append(f"{head} {_flow(item)}")
    return lines or [pad + _flow(value)]


TREES = st.recursive(
    scalar(),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(KEYS, children, max_size=3),
    ),
    max_leaves=8,
)


@st.composite
def yaml_text(draw: st.DrawFn) -> str:
    """A mapping document in block style, flow style below some depth."""
    root = draw(st.dictionaries(KEYS, TREES, min_size=1, max_size=4))
    return "\n".join(_block(root, 0, draw(st.integers(1, 4)))) + "\n"


@st.composite
def json_text(draw: st.DrawFn) -> str:
    """JSON text, numbers written as people (and other tools) write them, strings raw or escaped."""
    values = st.recursive(
        st.one_of(
            st.sampled_from(
                ["1E5", "1e-3", "-0.0", "10", "2.5", "1.5e+2", "NaN", "Infinity", "true", "null"]
            ),
            st.sampled_from(QUOTED_TEXT).map(lambda s: json.dumps(s, ensure_ascii=False)),
            st.sampled_from(QUOTED_TEXT).map(json.dumps),
        ),
        lambda children: st.one_of(
            st.lists(children, max_size=3).map(lambda xs: "[" + ", ".join(xs) + "]"),
            st.dictionaries(st.sampled_from(["a", "b", "default", "é"]), children, max_size=3).map(
                lambda d: "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in d.items()) + "}"
            ),
        ),
        max_leaves=8,
    )
    members = draw(st.dictionaries(st.sampled_from(["f1", "f2", "premium"]), values, min_size=1, max_size=3))
    separator = draw(st.sampled_from([", ", ",\n  ", ",\t"]))
    return "{" + separator.join(f"{json.dumps(k)}: {v}" for k, v in members.items()) + "}\n"


@st.composite
def mutated(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> bytes:
    """A generated text with what files pick up: BOMs, CRLF, tabs, anchors and aliases."""
    text = draw(texts)
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(
            st.sampled_from(["bom", "bom-after-break", "crlf", "tab", "anchor", "alias", "separator"])
        )
        lines = text.split("\n")
        at = draw(st.integers(0, max(0, len(lines) - 1)))
        if kind == "bom":
            text = "\ufeff" + text
        elif kind == "bom-after-break":
            lines[at] = "\ufeff" + lines[at]
        elif kind == "crlf":
            text = text.replace("\n", "\r\n")
            continue
        elif kind == "tab":
            line = lines[at]
            column = draw(st.integers(0, len(line)))
            lines[at] = line[:column] + "\t" + line[column:]
        elif kind in ("anchor", "alias"):
            line = lines[at]
            colon = line.find(": ")
            if colon >= 0:
                rest = line[colon + 2 :]
                lines[at] = line[: colon + 2] + ("&a " + rest if kind == "anchor" else "*a")
        else:
            lines[at] += draw(st.sampled_from([" # note\u2028x: 1", " # \x85", ""]))
        text = "\n".join(lines)
    return text.encode()


DOCUMENTS = st.one_of(mutated(yaml_text()), mutated(json_text()))
