"""Each function's settings: read once at init from the variables the template sets; a missing or
blank one fails Init with its name, never a fallback or a KeyError mid-invocation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from deployer import settings as deploy_settings
from function_settings import SettingsError
from function_settings import consumer as consumer_settings
from status_listener import settings as status_settings

from localcloud.template import load
from tests.handlers import init

if TYPE_CHECKING:
    from types import ModuleType

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[2]

DEPLOY = {
    "CONFIG_BUCKET": "appconfig-123456789012-abc",
    "CONFIG_KEY": "team-a/feature-file.yml",
    "APPCONFIG_APPLICATION_ID": "abc1234",
    "APPCONFIG_ENVIRONMENT_ID": "def5678",
    "APPCONFIG_ENVIRONMENT_NAME": "production",
    "APPCONFIG_PROFILE_ID": "ghi9012",
    "APPCONFIG_DEPLOYMENT_STRATEGY_ID": "AppConfig.AllAtOnce",
}
STATUS = {k: v for k, v in DEPLOY.items() if k != "APPCONFIG_DEPLOYMENT_STRATEGY_ID"}
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


def test_deploy_settings_hold_the_variables() -> None:
    settings = deploy_settings.Settings.from_environment(DEPLOY)
    assert settings == deploy_settings.Settings(
        bucket="appconfig-123456789012-abc",
        key="team-a/feature-file.yml",
        application_id="abc1234",
        environment_id="def5678",
        environment_name="production",
        profile_id="ghi9012",
        strategy_id="AppConfig.AllAtOnce",
    )
    assert settings.kms_key_identifier is None  # no customer managed key: the template leaves it out
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    with_key = deploy_settings.Settings.from_environment({**DEPLOY, deploy_settings.KMS_KEY: key})
    assert with_key.kms_key_identifier == key


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
    with pytest.raises(AttributeError):
        settings.bucket = "other"


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
    template = load(ROOT / "template.yaml")
    environment = template["Resources"][function]["Properties"]["Environment"]["Variables"]
    assert set(module.VARIABLES) == set(variables)
    assert set(module.VARIABLES) <= set(environment)
