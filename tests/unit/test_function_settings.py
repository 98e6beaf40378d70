"""Each function's settings: read once at init from the variables the template sets; a missing or
blank one fails Init with its name, never a fallback or a KeyError mid-invocation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from deployer import settings as deploy_settings
from function_settings import SettingsError
from function_settings import consumer as consumer_settings
from rollout_status.layout import Configuration, Layout, Stage
from status_listener import settings as status_settings

from localcloud.cfn.language_extensions import expand
from localcloud.template import load
from tests.handlers import init

if TYPE_CHECKING:
    from types import ModuleType

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]

DEPLOY = {
    "CONFIG_BUCKET": "appconfig-123456789012-abc",
    "CONFIGURATIONS": "feature-file.yml,other.yml",
    "ENVIRONMENTS": "staging,production",
    "APPCONFIG_APPLICATION_ID": "abc1234",
    "APPCONFIG_DEPLOYMENT_STRATEGY_ID": "AppConfig.AllAtOnce",
    "DEPLOY_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/deploy.fifo",
    "DEPLOY_QUEUE_MAX_RECEIVES": "10",
    "APPCONFIG_PROFILE_ID_featurefileyml": "ghi9012",
    "APPCONFIG_PROFILE_ID_otheryml": "jkl3456",
    "APPCONFIG_ENVIRONMENT_ID_staging": "mno7890",
    "APPCONFIG_ENVIRONMENT_ID_production": "def5678",
}
STATUS = {
    **{k: v for k, v in DEPLOY.items() if not k.startswith(("APPCONFIG_DEPLOYMENT_", "DEPLOY_QUEUE_MAX"))},
    "PROMOTION_APPROVAL": "auto",
}
CONSUMER = {
    "APPCONFIG_APPLICATION": "feature-flags",
    "APPCONFIG_ENVIRONMENT": "production",
    "APPCONFIG_PROFILE": "feature-file.yml",
}
FUNCTIONS: list[tuple[str, ModuleType, dict[str, str], str]] = [
    ("DeployFunction", deploy_settings, DEPLOY, "deployer.handler"),
    ("StatusFunction", status_settings, STATUS, "status_listener.handler"),
    ("FlagsApiFunction", consumer_settings, CONSUMER, "flags_api.handler"),
    ("OrderWorkerFunction", consumer_settings, CONSUMER, "order_worker.handler"),
]
IDS = [f[0] for f in FUNCTIONS]
TWO_BY_TWO = {"Configurations": "feature-file.yml,other.yml", "Environments": "staging,production"}


def test_deploy_settings_hold_the_variables() -> None:
    settings = deploy_settings.Settings.from_environment({**DEPLOY, "CONFIG_PREFIX": "team-a/"})
    assert settings == deploy_settings.Settings(
        layout=Layout(
            bucket="appconfig-123456789012-abc",
            application_id="abc1234",
            configurations=(
                Configuration("feature-file.yml", "team-a/feature-file.yml", "ghi9012"),
                Configuration("other.yml", "team-a/other.yml", "jkl3456"),
            ),
            stages=(Stage("staging", "mno7890", 0), Stage("production", "def5678", 1)),
        ),
        strategy_id="AppConfig.AllAtOnce",
        queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/deploy.fifo",
        max_receives=10,
    )
    assert settings.kms_key_identifier is None  # no customer managed key: the template leaves it out
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    with_key = deploy_settings.Settings.from_environment({**DEPLOY, deploy_settings.KMS_KEY: key})
    assert with_key.kms_key_identifier == key


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("DEPLOY_QUEUE_MAX_RECEIVES", "ten", "not a positive whole number"),
        ("DEPLOY_QUEUE_MAX_RECEIVES", "0", "not a positive whole number"),
        ("CONFIGURATIONS", "feature-file.yml,feature-file.yml", "an empty or repeated name"),
        ("ENVIRONMENTS", "staging,,production", "an empty or repeated name"),
    ],
)
def test_deploy_settings_refuse_values_the_template_never_sets(name: str, value: str, problem: str) -> None:
    with pytest.raises(SettingsError, match=problem) as raised:
        deploy_settings.Settings.from_environment({**DEPLOY, name: value})
    assert raised.value.variable == name


def test_consumer_settings_name_the_configuration() -> None:
    settings = consumer_settings.Settings.from_environment({**CONSUMER, "UNRELATED": "x"})
    assert (settings.application, settings.environment, settings.profile) == (
        "feature-flags",
        "production",
        "feature-file.yml",
    )


@pytest.mark.parametrize(("function", "module", "variables", "handler"), FUNCTIONS, ids=IDS)
def test_settings_are_frozen(function: str, module: Any, variables: dict[str, str], handler: str) -> None:
    settings = module.Settings.from_environment(variables)
    field = next(iter(settings.__dataclass_fields__))
    with pytest.raises(AttributeError):
        setattr(settings, field, "other")


@pytest.mark.parametrize(("function", "module", "variables", "handler"), FUNCTIONS, ids=IDS)
def test_every_missing_variable_is_named(
    function: str, module: Any, variables: dict[str, str], handler: str
) -> None:
    for name in variables:
        with pytest.raises(SettingsError) as raised:
            module.Settings.from_environment({k: v for k, v in variables.items() if k != name})
        assert raised.value.variable == name
        assert str(raised.value).startswith(f"{name} is not set: it must hold ")


@pytest.mark.parametrize("value", ["", "   ", " padded"])
@pytest.mark.parametrize(("function", "module", "variables", "handler"), FUNCTIONS, ids=IDS)
def test_a_blank_or_padded_value_is_refused(
    function: str, module: Any, variables: dict[str, str], handler: str, value: str
) -> None:
    name = next(iter(variables))
    with pytest.raises(SettingsError, match=f"^{name} is {value!r}, blank or padded"):
        module.Settings.from_environment({**variables, name: value})


@pytest.mark.parametrize(("function", "module", "variables", "handler"), FUNCTIONS, ids=IDS)
def test_importing_the_handler_without_a_variable_fails_init_naming_it(
    function: str, module: Any, variables: dict[str, str], handler: str
) -> None:
    name = list(variables)[-1]
    with pytest.raises(ValueError, match=f"^{name} is not set"):
        init(handler, {k: v for k, v in variables.items() if k != name})


@pytest.mark.parametrize(("function", "module", "variables", "handler"), FUNCTIONS, ids=IDS)
def test_the_template_sets_every_variable_the_settings_read(
    function: str, module: Any, variables: dict[str, str], handler: str
) -> None:
    # The template as CloudFormation runs it: loops expanded for two configurations and two stages.
    template = expand(load(ROOT / "template.yaml"), TWO_BY_TWO, region="us-east-1")
    logical_id = function if function in ("DeployFunction", "StatusFunction") else function + "production"
    environment = template["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
    assert set(module.VARIABLES) <= set(variables)
    assert set(variables) <= set(environment)
