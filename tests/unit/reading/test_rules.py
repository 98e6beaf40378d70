"""The one reading's rules, one by one: what each reader would make of a construct, and the verdict.

Accepted forms come back as PyYAML's loaders read them (and as YAML 1.2 readers do); refused
ones carry a code and the position editors show.
"""

from __future__ import annotations

import json
import math

import pytest
import yaml
from appconfig_reading import DocumentError, read_document
from appconfig_reading.content import EITHER, JSON, YAML, syntax_for
from appconfig_reading.json_text import read_json
from appconfig_reading.scalars import Refusal, read_plain
from appconfig_reading.text import Lines, decode
from appconfig_reading.yaml_loader import load_yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.unit.reading.readers import yaml12

pytestmark = pytest.mark.unit


def refused(text: str) -> tuple[int | None, int | None, str]:
    with pytest.raises(DocumentError) as error:
        read_document(text.encode(), "application/x-yaml")
    return error.value.line, error.value.column, error.value.code


# --- content types -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "syntax"),
    [
        (None, EITHER),
        ("", EITHER),
        ("binary/octet-stream", EITHER),  # S3's type for an object uploaded without one
        ("application/octet-stream", EITHER),
        ("text/plain; charset=utf-8", EITHER),
        ("application/json", JSON),
        ("application/vnd.api+json", JSON),
        ("Application/JSON; charset=UTF-8", JSON),
        ("application/x-yaml", YAML),
        ("application/yaml", YAML),
        ("text/yaml", YAML),
        ("text/x-yaml", YAML),
    ],
)
def test_the_content_type_names_the_syntax(content_type: str | None, syntax: str) -> None:
    assert syntax_for(content_type) == syntax


@pytest.mark.parametrize("content_type", ["text/html", "image/png", "application/x-yaml; charset=latin-1"])
def test_other_types_and_character_sets_are_refused_as_a_whole(content_type: str) -> None:
    with pytest.raises(DocumentError) as error:
        read_document(b"a: 1\n", content_type)
    assert (error.value.line, error.value.column, error.value.code) == (None, None, "content-type")


def test_a_json_type_reads_json_only_and_a_yaml_type_yaml_only() -> None:
    assert read_document(b'{"a": 1e-3}', "application/json").data == {"a": 0.001}
    with pytest.raises(DocumentError, match="JSON syntax"):
        read_document(b"a: 1\n", "application/json")
    with pytest.raises(DocumentError) as error:  # YAML 1.1 reads the number as text
        read_document(b'{"a": 1e-3}', "application/x-yaml")
    assert error.value.code == "yaml12-number"


# --- bytes and characters ------------------------------------------------------------------------


def test_utf8_with_one_leading_bom_and_nothing_else() -> None:
    assert decode(b"\xef\xbb\xbfa: 1") == "a: 1"
    with pytest.raises(DocumentError) as error:
        decode("a: é\n".encode("latin-1"))
    assert (error.value.line, error.value.column, error.value.code) == (1, 4, "not-utf8")
    with pytest.raises(DocumentError) as error:
        decode("a: 1\nb: é\n".encode("utf-16"))
    assert error.value.code == "not-utf8"


@pytest.mark.parametrize("character", ["\x85", "\u2028", "\u2029", "\ufeff"])
def test_characters_only_some_readers_break_lines_at_are_refused_where_editors_show_them(
    character: str,
) -> None:
    text = f"a: 1 # note{character}b: 2\nc: [1, 2\n"
    with pytest.raises(DocumentError) as error:
        load_yaml(text, limit=5, stop=False)
    found = [(i.line, i.column, i.code) for i in error.value.issues]
    assert found[0] == (1, 12, "invisible-character")
    # The syntax error that follows is on line 3 as editors count, not line 4 as libyaml does.
    assert found[-1][::2] == (3, "yaml-syntax")


def test_lines_end_at_lf_crlf_and_cr_only() -> None:
    lines = Lines("a\r\nb\rc\nd\u2028e")
    assert [lines.position(i) for i in (0, 3, 5, 7, 9)] == [(1, 1), (2, 1), (3, 1), (4, 1), (4, 3)]


# --- scalars: YAML 1.1 (PyYAML) against YAML 1.2 -------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("true", True),
        ("False", False),
        ("null", None),
        ("~", None),
        ("", None),
        ("12", 12),
        ("-0", 0),
        ("+12", 12),
        ("007", 7),
        ("0x1F", 31),
        ("1.5", 1.5),
        ("1.", 1.0),
        (".5", 0.5),
        ("1.0e+5", 100000.0),
        ("2.5E-3", 0.0025),
        ("premium", "premium"),
        ("a b", "a b"),
        ("._", "._"),
        ("0X1F", "0X1F"),
    ],
)
def test_scalars_both_versions_read_alike_are_read_as_pyyaml_does(written: str, value: object) -> None:
    assert read_plain(written) == value
    assert type(read_plain(written)) is type(value)
    assert yaml.safe_load(f"x: {written}")["x"] == value


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("NO", "yaml11-boolean"),
        ("yes", "yaml11-boolean"),
        ("On", "yaml11-boolean"),
        ("off", "yaml11-boolean"),
        ("12:30", "yaml11-number"),
        ("1:30.5", "yaml11-number"),
        ("1_000", "yaml11-number"),
        ("0b101", "yaml11-number"),
        ("-0x1F", "yaml11-number"),
        ("012", "yaml11-number"),
        ("08", "yaml12-number"),
        ("0o17", "yaml12-number"),
        ("1e5", "yaml12-number"),
        ("1E5", "yaml12-number"),
        ("1.0e5", "yaml12-number"),
        ("-0o17", "yaml12-number"),
        ("+0x1F", "yaml11-number"),
        ("+.5", "yaml12-number"),
        ("1e400", "yaml12-number"),
        (".inf", "not-finite"),
        ("-.Inf", "not-finite"),
        (".nan", "not-finite"),
        ("2001-12-14", "timestamp"),
        ("=", "yaml11-special"),
        ("<<", "yaml11-special"),
        ("1" * 4301, "too-many-digits"),
    ],
)
def test_scalars_the_versions_read_differently_are_refused_with_the_form_to_write(
    written: str, code: str
) -> None:
    with pytest.raises(Refusal) as refusal:
        read_plain(written)
    assert refusal.value.code == code


@settings(max_examples=400, deadline=None)
@given(st.from_regex(r"\A[-+]?[0-9.xobeE:]{0,8}\Z") | st.sampled_from(["true", "TRUE", "Null", "~", "NaN"]))
def test_every_unquoted_scalar_the_reading_accepts_is_what_a_yaml_1_2_reader_reads(written: str) -> None:
    """The YAML 1.2 core schema is written out in ``scalars``; ruamel.yaml is the library it is held to.
    (Without ``_``: ruamel.yaml reads digits with underscores as numbers, an extension of its own to
    the core schema that crashes on some texts; the reading refuses such numbers, see above.)"""
    try:
        old = yaml.safe_load(f"x: {written}")["x"]
    except yaml.YAMLError:
        return  # not an unquoted scalar there ("-", ":")
    try:
        value = read_plain(written)
    except Refusal:
        return
    new = yaml12(f"x: {written}")["x"]
    assert (type(value), value) == (type(old), old) == (type(new), new)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("!!int '12'", 12),
        ("!!float 1", 1.0),
        ("!!bool true", True),
        ("!!null ''", None),
        ("!!str 012", "012"),
    ],
)
def test_tagged_scalars_that_fit_their_tag(text: str, value: object) -> None:
    assert read_document(f"a: {text}\n".encode(), "text/yaml").data == {"a": value}


@pytest.mark.parametrize(
    "text", ["!!int abc", "!!int ''", "!!float x", "!!bool maybe", "!!null x", "!!int '012'", "!!bool yes"]
)
def test_tagged_scalars_that_do_not_fit_are_refused_not_crashed_on(text: str) -> None:
    assert refused(f"a: {text}\n") == (1, 4, "tag-mismatch")


@pytest.mark.parametrize("text", ["! 12", '! "12"', "! yes"])
def test_the_non_specific_tag_is_refused_where_pyyaml_would_resolve_it(text: str) -> None:
    assert refused(f"a: {text}\n") == (1, 4, "tag")
    assert read_document(b"a: ! text\n", "text/yaml").data == {"a": "text"}


# --- structure -----------------------------------------------------------------------------------


def test_an_anchor_used_twice_is_refused_at_the_second() -> None:
    assert refused("a: &x 1\nb: [&x 2]\n") == (2, 5, "duplicate-anchor")
    assert read_document(b"a: &x 1\nb: *x\n", "text/yaml").data == {"a": 1, "b": 1}


@pytest.mark.parametrize(
    ("text", "column"),
    [("a:\tb\n", 3), ("a: b\t\n", 5), ("a: [1,\t2]\n", 7), ("a: x\ty\n", 5), ("a: 1\t# note\n", 5)],
)
def test_a_tab_only_libyaml_reads_is_refused(text: str, column: int) -> None:
    assert refused(text) == (1, column, "tab")
    with pytest.raises(yaml.YAMLError):
        yaml.load(text, Loader=yaml.SafeLoader)


@pytest.mark.parametrize(
    "text", ["a: 'x\ty'\n", 'a: "x\ty"\n', "# a\tcomment\na: 1\n", "a: 1 # a\tcomment\n", "a: |\n  x\ty\n"]
)
def test_tabs_in_quoted_and_block_scalars_and_comments_read_alike(text: str) -> None:
    expected = yaml.load(text, Loader=yaml.SafeLoader)
    assert expected == yaml.load(text, Loader=yaml.CSafeLoader)
    assert read_document(text.encode(), "text/yaml").data == expected


def test_a_question_mark_in_an_unquoted_flow_value_is_refused() -> None:
    assert refused("days: [MONDAY, what?]\n") == (1, 16, "flow-question-mark")
    with pytest.raises(yaml.YAMLError):
        yaml.load("days: [MONDAY, what?]\n", Loader=yaml.SafeLoader)
    assert read_document(b"a: what?\n", "text/yaml").data == {"a": "what?"}


def test_deep_nesting_many_documents_and_nothing_are_refused() -> None:
    assert refused("[" * 65 + "]" * 65)[2] == "too-deep"
    assert refused("a: 1\n---\nb: 2\n")[2] == "multiple-documents"
    assert refused("# nothing\n")[2] == "empty"


def test_consumers_stop_at_the_first_issue_the_validator_collects_them_all() -> None:
    text = "a: NO\nb: 012\nc: 12:30\n"
    with pytest.raises(DocumentError) as first:
        read_document(text.encode(), "text/yaml")
    assert first.value.total == 1
    loaded = load_yaml(text, limit=50, stop=False)
    assert [i.line for i in loaded.issues] == [1, 2, 3]
    assert loaded.data == yaml.safe_load(text)  # with the issues, what PyYAML would read


# --- JSON ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position", "code"),
    [
        ('{"a": NaN}', (1, 7), "not-json-number"),
        ('{\n "a": -Infinity}', (2, 7), "not-json-number"),
        ('{"a": "NaN", "b": 1e999}', (1, 19), "not-finite"),
        ('{"a": ' + "9" * 5000 + "}", (1, 7), "too-many-digits"),
        ('{"a": 1,}', (1, 9), "json-syntax"),
    ],
)
def test_json_is_rfc_8259_json_located(text: str, position: tuple[int, int], code: str) -> None:
    with pytest.raises(DocumentError) as error:
        read_json(text)
    assert ((error.value.line, error.value.column), error.value.code) == (position, code)


def test_json_reads_what_python_json_reads() -> None:
    text = json.dumps({"a": [1, 2.5, -0.0, "x\u2028", None, True], "b": {"c": 1e-300}})
    assert read_json(text) == json.loads(text)
    assert math.copysign(1, read_json(text)["a"][2]) == -1
