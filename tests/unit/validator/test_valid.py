"""Valid documents pass and come back as the data a YAML loader would give consumers."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from aws_lambda_powertools.utilities.feature_flags.schema import SchemaValidator
from feature_validator.validate import validate

from bench.validator_corpus import feature_file

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]

# The examples of Powertools' feature flags documentation, written as YAML.
POWERTOOLS_EXAMPLES = {
    "boolean flags": """
        premium_features:
          default: false
          rules:
            customer tier equals premium:
              when_match: true
              conditions:
                - action: EQUALS
                  key: tier
                  value: premium
        ten_percent_off_campaign:
          default: false
        """,
    "non-boolean flag": """
        premium_features:
          boolean_type: false
          default: []
          rules:
            customer tier equals premium:
              when_match: [no_ads, no_limits, chat]
              conditions:
                - action: EQUALS
                  key: tier
                  value: premium
        """,
    "days of week": """
        weekend_premium_discount:
          default: false
          rules:
            customer tier equals premium and its time for a discount:
              when_match: true
              conditions:
                - action: EQUALS
                  key: tier
                  value: premium
                - action: SCHEDULE_BETWEEN_DAYS_OF_WEEK
                  key: CURRENT_DAY_OF_WEEK
                  value:
                    DAYS: [SATURDAY, SUNDAY]
                    TIMEZONE: America/New_York
        """,
    "time range": """
        lunch_special:
          default: false
          rules:
            it's lunch time:
              when_match: true
              conditions:
                - action: SCHEDULE_BETWEEN_TIME_RANGE
                  key: CURRENT_TIME
                  value: {START: "12:00", END: "14:00", TIMEZONE: Europe/Copenhagen}
        """,
    "datetime range": """
        christmas_sale:
          default: false
          rules:
            christmas is coming:
              when_match: true
              conditions:
                - action: SCHEDULE_BETWEEN_DATETIME_RANGE
                  key: CURRENT_DATETIME
                  value:
                    START: "2022-10-05T12:00:00"
                    END: "2022-12-25T12:00:00"
                    TIMEZONE: America/New_York
        """,
    "modulo range": """
        new_ui:
          default: false
          rules:
            twenty percent of users:
              when_match: true
              conditions:
                - action: MODULO_RANGE
                  key: user_id
                  value: {BASE: 100, START: 0, END: 19}
        """,
    "list actions": """
        dev_tools:
          default: false
          rules:
            admins and auditors:
              when_match: true
              conditions:
                - action: ANY_IN_VALUE
                  key: groups
                  value: [Admin, Auditor]
                - action: NONE_IN_VALUE
                  key: groups
                  value: [Suspended]
            only testers:
              when_match: true
              conditions:
                - action: ALL_IN_VALUE
                  key: groups
                  value: [Tester, Staff]
        """,
    "membership actions": """
        tenant_feature:
          default: false
          rules:
            selected tenants:
              when_match: true
              conditions:
                - action: KEY_IN_VALUE
                  key: tenant_id
                  value: ["6", "2"]
                - action: KEY_NOT_IN_VALUE
                  key: tenant_id
                  value: ["7"]
            admins:
              when_match: true
              conditions:
                - action: VALUE_IN_KEY
                  key: groups
                  value: admin
                - action: VALUE_NOT_IN_KEY
                  key: groups
                  value: banned
        """,
    "ordering and text actions": """
        beta:
          default: false
          rules:
            new app versions of internal users:
              when_match: true
              conditions:
                - action: KEY_GREATER_THAN_VALUE
                  key: app_version
                  value: 41
                - action: KEY_LESS_THAN_OR_EQUAL_VALUE
                  key: app_version
                  value: 99
                - action: STARTSWITH
                  key: email
                  value: qa-
                - action: ENDSWITH
                  key: email
                  value: "@example.com"
                - action: NOT_EQUALS
                  key: email
                  value: qa-blocked@example.com
        """,
    "JSON is YAML too": """
        {"premium_features": {"default": false, "rules": {"tier": {"when_match": true,
          "conditions": [{"action": "IN", "key": "tier", "value": ["premium", "gold"]}]}}}}
        """,
}


@pytest.mark.parametrize("name", POWERTOOLS_EXAMPLES)
def test_powertools_documentation_examples_are_valid(name: str) -> None:
    text = textwrap.dedent(POWERTOOLS_EXAMPLES[name])
    data = validate(text.encode())
    assert data == yaml.safe_load(text)
    SchemaValidator(data).validate()


def test_the_sample_feature_file_is_valid() -> None:
    text = (ROOT / "feature-file.yml").read_text()
    assert validate(text.encode()) == yaml.safe_load(text)
    assert text.startswith("# yaml-language-server: $schema=schemas/feature-file.schema.json")


def test_a_one_megabyte_generated_file_is_valid_and_loads_like_pyyaml() -> None:
    text = feature_file(1_000_000)
    assert validate(text.encode()) == yaml.load(text, Loader=yaml.CSafeLoader)


@pytest.mark.parametrize(
    "text",
    [
        "\ufeffflag: {default: true}\n",  # a byte order mark
        "%YAML 1.1\n---\nflag: {default: true}\n...\n# the end\n",  # directive and explicit markers
        "anchors: &on {default: true}\nsame: *on\n",  # aliases that expand to little
        "flag:\n  default: !!bool true\n",  # standard tags
        "flag:\n  boolean_type: false\n  default: {ratio: 0.5, big: 0x10, none_here: [1, -2.5e+3]}\n",
    ],
)
def test_yaml_features_that_stay_json_are_accepted(text: str) -> None:
    assert validate(text.encode()) == yaml.safe_load(text.removeprefix("\ufeff"))
