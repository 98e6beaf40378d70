"""Each kind of problem, with the exact document path and line:column it is reported at."""

from __future__ import annotations

import pytest
from feature_validator.errors import MAX_REPORTED, FeatureFileInvalid
from feature_validator.validate import validate

from bench.validator_corpus import feature_file
from tests.unit.validator.conftest import only_problem, problems_of, where

pytestmark = pytest.mark.unit

RULE = "$.flag.rules['a rule']"


def condition(action: str, key: str, value: str) -> str:
    """A document with one rule whose only condition is ``action``/``key``/``value`` (line 7 on)."""
    return f"""\
flag:
  default: false
  rules:
    a rule:
      when_match: true
      conditions:
        - action: {action}
          key: {key}
          value: {value}
"""


# --- schema errors ---------------------------------------------------------------------------


def test_a_boolean_flag_needs_a_boolean_default() -> None:
    problem = only_problem("flag:\n  default: maybe\n")
    assert where(problem) == ("$.flag.default", 2, 12, "schema-type")
    assert problem.message == "expected boolean, found string"


def test_when_match_must_be_boolean_unless_boolean_type_is_false() -> None:
    text = condition("EQUALS", "tier", "premium").replace("when_match: true", "when_match: 5")
    assert where(only_problem(text)) == (f"{RULE}.when_match", 5, 19, "schema-type")
    non_boolean = text.replace("  default: false", "  boolean_type: false\n  default: 1")
    assert validate(non_boolean.encode())


def test_an_unknown_action_is_named_with_the_ones_powertools_knows() -> None:
    problem = only_problem(condition("EQUAL", "tier", "premium"))
    assert where(problem) == (f"{RULE}.conditions[0].action", 7, 19, "schema-enum")
    assert "EQUALS, NOT_EQUALS" in problem.message
    assert problem.message.endswith("; did you mean EQUALS?")


def test_a_missing_key_is_reported_at_its_mapping() -> None:
    problem = only_problem("flag:\n  rules: {}\n")
    assert where(problem) == ("$.flag", 2, 3, "schema-required")
    assert problem.message == "missing required key 'default'"


def test_an_unexpected_key_is_reported_at_the_key_itself() -> None:
    problem = only_problem("flag:\n  default: true\n  rule: {}\n")
    assert where(problem) == ("$.flag.rule", 3, 3, "schema-additionalProperties")
    assert (
        problem.message == "unexpected key (allowed here: boolean_type, default, rules); did you mean rules?"
    )


def test_a_rule_needs_at_least_one_condition() -> None:
    text = "flag:\n  default: true\n  rules:\n    r:\n      when_match: false\n      conditions: []\n"
    assert where(only_problem(text)) == ("$.flag.rules.r.conditions", 6, 19, "schema-minItems")


def test_schedule_keys_and_value_shapes_follow_the_action() -> None:
    text = condition("SCHEDULE_BETWEEN_TIME_RANGE", "NOW", '{START: "9:00", END: "17:00"}')
    found = sorted(where(p) for p in problems_of(text))
    assert found == [
        (f"{RULE}.conditions[0].key", 8, 16, "schema-const"),
        (f"{RULE}.conditions[0].value.START", 9, 26, "schema-pattern"),
    ]


def test_modulo_range_values_are_integers() -> None:
    problem = only_problem(condition("MODULO_RANGE", "user", "{BASE: 100, START: 0, END: 9.5}"))
    assert where(problem) == (f"{RULE}.conditions[0].value.END", 9, 45, "schema-type")


def test_the_file_must_define_a_flag() -> None:
    assert where(only_problem("{}\n")) == ("$", 1, 1, "schema-minProperties")


def test_the_document_must_be_a_mapping() -> None:
    problem = only_problem("- a\n- b\n")
    assert where(problem) == ("$", 1, 1, "schema-type")
    assert problem.message == "expected object, found array"


# --- YAML 1.1 readings: "quote it" -----------------------------------------------------------


def test_a_yaml_1_1_boolean_where_a_string_is_expected_says_quote_it() -> None:
    problem = only_problem(condition("STARTSWITH", "country", "NO"))
    assert where(problem) == (f"{RULE}.conditions[0].value", 9, 18, "yaml11-boolean")
    assert problem.message == (
        "the unquoted word is read as the boolean false by YAML 1.1 (PyYAML) but as text by YAML 1.2: "
        "quote it for text, or write false"
    )


def test_a_sexagesimal_time_says_quote_it() -> None:
    problem = only_problem(
        condition("SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", '{START: 12:30, END: "13:00"}')
    )
    assert where(problem) == (f"{RULE}.conditions[0].value.START", 9, 26, "yaml11-number")
    assert "a base-60 number (12:30 is 750) by YAML 1.1 (PyYAML) but as text by YAML 1.2" in problem.message


def test_a_country_code_in_a_list_of_countries_says_quote_it() -> None:
    problem = only_problem(condition("IN", "country", "[SE, NO, DK]"))
    assert where(problem) == (f"{RULE}.conditions[0].value[1]", 9, 23, "yaml11-boolean")
    assert "quote it for text, or write false" in problem.message


def test_an_equals_with_a_yaml_1_1_word_says_quote_it_but_true_and_false_are_fine() -> None:
    problem = only_problem(condition("EQUALS", "country", "NO"))
    assert where(problem) == (f"{RULE}.conditions[0].value", 9, 18, "yaml11-boolean")
    assert validate(condition("EQUALS", "beta", "false").encode())
    assert validate(condition("EQUALS", "country", '"NO"').encode())


def test_an_unquoted_date_is_a_timestamp_and_says_quote_it() -> None:
    value = "{START: 2025-10-01T00:00:00, END: '2025-10-02T00:00:00'}"
    problem = only_problem(condition("SCHEDULE_BETWEEN_DATETIME_RANGE", "CURRENT_DATETIME", value))
    assert where(problem) == (f"{RULE}.conditions[0].value.START", 9, 26, "timestamp")
    assert problem.message.endswith("quote it")


def test_a_key_that_yaml_reads_as_a_boolean_says_quote_it() -> None:
    problem = only_problem("on:\n  default: true\n")
    assert where(problem) == ("$.on", 1, 1, "key-type")
    assert (
        problem.message == "the unquoted word is read as the boolean true, but keys must be strings: quote it"
    )


# --- loader problems ---------------------------------------------------------------------------


def test_duplicate_keys_name_both_lines() -> None:
    problem = only_problem("flag:\n  default: true\n  default: false\n")
    assert where(problem) == ("$.flag.default", 3, 3, "duplicate-key")
    assert problem.message.startswith("duplicate key: first at line 2, again at line 3")


def test_duplicate_flags_name_both_lines() -> None:
    problem = only_problem("flag:\n  default: true\nother: {default: true}\nflag: {default: false}\n")
    assert where(problem) == ("$.flag", 4, 1, "duplicate-key")
    assert "first at line 1, again at line 4" in problem.message


def test_merge_keys_are_refused() -> None:
    problem = only_problem("base: &b {default: true}\nflag:\n  <<: *b\n")
    assert where(problem) == ("$.flag", 3, 3, "merge-key")


def test_infinity_is_not_json() -> None:
    text = "flag:\n  boolean_type: false\n  default: .inf\n"
    assert where(only_problem(text)) == ("$.flag.default", 3, 12, "not-finite")


def test_yaml_syntax_errors_are_located() -> None:
    problem = only_problem("flag:\n  default: [true\n")
    assert (problem.line, problem.column, problem.code) == (3, 1, "yaml-syntax")
    assert problem.message.startswith("YAML syntax: ")


# --- semantic checks ---------------------------------------------------------------------------


def test_a_time_window_whose_start_equals_its_end() -> None:
    text = condition("SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", '{START: "09:00", END: "09:00"}')
    problem = only_problem(text)
    assert where(problem) == (f"{RULE}.conditions[0].value", 9, 18, "schedule")
    assert problem.message.startswith("START equals END")


@pytest.mark.parametrize(
    ("end", "message"),
    [("2025-10-01T00:00:00", "START equals END"), ("2025-09-30T00:00:00", "END is before START")],
)
def test_a_datetime_window_that_is_an_instant_or_inverted(end: str, message: str) -> None:
    value = f'{{START: "2025-10-01T00:00:00", END: "{end}"}}'
    problem = only_problem(condition("SCHEDULE_BETWEEN_DATETIME_RANGE", "CURRENT_DATETIME", value))
    assert where(problem) == (f"{RULE}.conditions[0].value", 9, 18, "schedule")
    assert problem.message.startswith(message)


def test_a_date_that_does_not_exist() -> None:
    value = '{START: "2025-02-30T00:00:00", END: "2025-03-02T00:00:00"}'
    problem = only_problem(condition("SCHEDULE_BETWEEN_DATETIME_RANGE", "CURRENT_DATETIME", value))
    assert where(problem) == (f"{RULE}.conditions[0].value.START", 9, 26, "schedule")


def test_an_unknown_time_zone() -> None:
    value = '{DAYS: [MONDAY], TIMEZONE: "Mars/Olympus_Mons"}'
    problem = only_problem(condition("SCHEDULE_BETWEEN_DAYS_OF_WEEK", "CURRENT_DAY_OF_WEEK", value))
    assert where(problem) == (f"{RULE}.conditions[0].value.TIMEZONE", 9, 45, "timezone")


def test_a_modulo_range_outside_its_base() -> None:
    problem = only_problem(condition("MODULO_RANGE", "user", "{BASE: 10, START: 5, END: 10}"))
    assert where(problem) == (f"{RULE}.conditions[0].value", 9, 18, "modulo-range")


def two_conditions(first: tuple[str, str], second: tuple[str, str], key: str = "tier") -> str:
    return f"""\
flag:
  default: false
  rules:
    a rule:
      when_match: true
      conditions:
        - {{action: {first[0]}, key: {key}, value: {first[1]}}}
        - {{action: {second[0]}, key: {key}, value: {second[1]}}}
"""


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        (
            ("STARTSWITH", "gold"),
            ("KEY_GREATER_THAN_VALUE", "3"),
            "to be a number or boolean and text at once",
        ),
        (("ANY_IN_VALUE", "[a]"), ("ENDSWITH", "x"), "to be a list and text at once"),
        (("EQUALS", "gold"), ("EQUALS", "silver"), "cannot all hold for the one value EQUALS allows"),
        (("EQUALS", "gold"), ("NOT_IN", "[gold, silver]"), "cannot all hold for the one value EQUALS allows"),
        (("EQUALS", "gold"), ("STARTSWITH", "sil"), "cannot all hold for the one value EQUALS allows"),
        (("KEY_GREATER_THAN_VALUE", "10"), ("KEY_LESS_THAN_VALUE", "5"), "leave no value between"),
        (("KEY_GREATER_THAN_VALUE", "5"), ("KEY_LESS_THAN_OR_EQUAL_VALUE", "5"), "leave no value between"),
    ],
)
def test_conditions_that_can_never_all_match(
    first: tuple[str, str], second: tuple[str, str], reason: str
) -> None:
    problem = only_problem(two_conditions(first, second))
    assert where(problem) == (f"{RULE}.conditions[1]", 8, 11, "never-matches")
    assert (
        f"conditions [0], [1] on key 'tier' {'need the context value ' if 'at once' in reason else ''}"
        in (problem.message)
    )
    assert reason in problem.message


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("EQUALS", "gold"), ("IN", "[gold, silver]")),
        (("EQUALS", "gold"), ("STARTSWITH", "go")),
        (("KEY_GREATER_THAN_VALUE", "5"), ("KEY_LESS_THAN_VALUE", "6")),
        (("KEY_GREATER_THAN_OR_EQUAL_VALUE", "5"), ("KEY_LESS_THAN_OR_EQUAL_VALUE", "5")),
        (("STARTSWITH", "go"), ("ENDSWITH", "ld")),
    ],
)
def test_conditions_that_can_match_together_are_accepted(
    first: tuple[str, str], second: tuple[str, str]
) -> None:
    assert validate(two_conditions(first, second).encode())


# --- collecting and capping ----------------------------------------------------------------------


def test_the_report_is_capped_and_the_check_stops_there() -> None:
    # Once 50 are itemised, the next flag with an error ends the check: "at least", at bounded cost.
    with pytest.raises(FeatureFileInvalid) as raised:
        validate(feature_file(300_000, errors=80).encode())
    error = raised.value
    assert (error.total, error.at_least) == (MAX_REPORTED + 1, True)
    assert len(error.problems) == MAX_REPORTED
    assert str(error).splitlines()[0] == f"feature file rejected, at least {MAX_REPORTED + 1} problems:"
    assert str(error).splitlines()[-1] == "... and at least 1 more"
    assert [p.line for p in error.problems] == sorted(p.line for p in error.problems)


def test_the_reading_stops_once_the_report_is_full_and_the_flags_read_are_still_checked() -> None:
    # 70 duplicate keys: 50 are itemised and the 51st ends the reading ("at least", at the cost of
    # the part read, not of counting the whole file); the flag read before it still meets the schema.
    text = "flag0:\n  default: true\n  rules: 5\n"
    text += "".join(f"flag{i}:\n  default: true\n  default: true\n" for i in range(1, 71))
    with pytest.raises(FeatureFileInvalid) as raised:
        validate(text.encode())
    error = raised.value
    assert (error.total, error.at_least, len(error.problems)) == (MAX_REPORTED + 2, True, MAX_REPORTED)
    assert where(error.problems[0]) == ("$.flag0.rules", 3, 10, "schema-type")
    assert {p.code for p in error.problems[1:]} == {"duplicate-key"}
    assert str(error).splitlines()[-1] == "... and at least 2 more"


def test_a_reading_stopped_before_any_flag_ends_reports_what_it_found() -> None:
    text = "flag:\n  rules:\n" + "    r:\n      when_match: NO\n" * 60
    with pytest.raises(FeatureFileInvalid) as raised:
        validate(text.encode())
    assert (raised.value.total, raised.value.at_least) == (MAX_REPORTED + 1, True)
    assert "$" not in {p.path for p in raised.value.problems}  # no "must not be empty" for the unread file


def test_messages_never_repeat_configuration_values() -> None:
    secret = "s3cr3t-VALUE"
    text = f"""\
flag:
  default: {secret}
  rules:
    r:
      when_match: {secret}
      conditions:
        - {{action: {secret}, key: k, value: {secret}}}
        - {{action: STARTSWITH, key: k, value: [{secret}]}}
"""
    with pytest.raises(FeatureFileInvalid) as raised:
        validate(text.encode())
    assert raised.value.total >= 4
    assert secret not in str(raised.value)


def test_a_collection_as_a_key_is_refused_and_its_value_dropped() -> None:
    problem = only_problem("? [a, b]\n: {default: true}\nflag: {default: true}\n")
    assert where(problem) == ("$", 1, 3, "key-type")


def test_an_alias_as_a_key_reads_like_pyyaml() -> None:
    text = (
        "&k flag: {default: true}\nother:\n  default: true\n"
        "  rules: {*k : {when_match: false, conditions: [{action: EQUALS, key: x, value: 1}]}}\n"
    )
    assert validate(text.encode())["other"]["rules"] == {
        "flag": {"when_match": False, "conditions": [{"action": "EQUALS", "key": "x", "value": 1}]}
    }
    found = [where(p) for p in problems_of("list: &k [1]\n*k : {default: true}\n")]
    assert ("$", 2, 1, "key-type") in found


def test_a_modulo_range_needs_whole_numbers_as_powertools_does() -> None:
    problem = only_problem(condition("MODULO_RANGE", "user", "{BASE: 100.0, START: 0, END: 9}"))
    assert where(problem) == (f"{RULE}.conditions[0].value.BASE", 9, 25, "modulo-range")


def test_locations_in_a_flag_that_uses_an_anchor_from_another_flag() -> None:
    # The flag cannot be composed on its own (the anchor is elsewhere): the whole file is.
    text = """\
a:
  default: true
  rules:
    r: {when_match: true, conditions: [&gold {action: EQUALS, key: tier, value: gold}]}
b:
  default: maybe
  rules:
    r: {when_match: true, conditions: [*gold]}
"""
    assert where(only_problem(text)) == ("$.b.default", 6, 12, "schema-type")


def test_locations_in_a_json_document() -> None:
    text = (
        '{"a": {"default": true},\n'
        ' "b": {"default": true, "rules": {"r": {"when_match": 1, "conditions": []}}}}\n'
    )
    found = sorted(where(p) for p in problems_of(text))
    assert found == [
        ("$.b.rules.r.conditions", 2, 72, "schema-minItems"),
        ("$.b.rules.r.when_match", 2, 55, "schema-type"),
    ]


# --- positions: every problem at its node, lines as editors count them ----------------------------


def test_an_empty_flag_name_is_reported_at_the_name() -> None:
    problem = only_problem('premium: {default: true}\n"": {default: true}\n')
    assert where(problem) == ("$['']", 2, 1, "schema-minLength")
    assert problem.message == "a flag name must be a non-empty string"


def test_an_empty_rule_name_is_reported_at_the_name() -> None:
    text = condition("EQUALS", "tier", "premium").replace("    a rule:", '    "":')
    problem = only_problem(text)
    assert where(problem) == ("$.flag.rules['']", 4, 5, "schema-minLength")
    assert problem.message == "a rule name must be a non-empty string"


def test_a_trailing_line_break_does_not_pass_a_pattern_and_is_reported_at_the_value() -> None:
    text = condition("SCHEDULE_BETWEEN_TIME_RANGE", "CURRENT_TIME", '{START: "12:00\\n", END: "13:00"}')
    problem = only_problem(text)
    assert where(problem) == (f"{RULE}.conditions[0].value.START", 9, 26, "schema-pattern")
    assert problem.message == "does not have the expected format (for example 09:00)"


def test_a_block_scalar_time_with_its_line_break_is_reported_at_the_value() -> None:
    text = condition(
        "SCHEDULE_BETWEEN_TIME_RANGE",
        "CURRENT_TIME",
        "\n            START: |\n              12:00\n            END: '13:00'",
    )
    problem = only_problem(text)
    assert (problem.path, problem.line, problem.code) == (
        f"{RULE}.conditions[0].value.START",
        10,
        "schema-pattern",
    )


def test_lines_after_a_raw_line_separator_are_counted_as_editors_count_them() -> None:
    # libyaml and PyYAML count U+2028 as a line break (YAML 1.1), editors and YAML 1.2 do not.
    text = "# note\u2028# still a note\nflag:\n  default: maybe\n"
    found = [where(p) for p in problems_of(text.encode())]
    assert found == [("$", 1, 7, "invisible-character"), ("$.flag.default", 3, 12, "schema-type")]
