"""A local AWS AppConfig + AppConfigData service that real boto3 clients talk to over HTTP.

Modules, one job each: ``wire`` (restJson1 from botocore's models), ``errors`` (modelled error
shapes), ``state`` (resources), ``control`` (CRUD), ``strategies`` (predefined strategies and
rollout steps), ``deployments`` (the deployment state machine), ``rollouts`` (StartDeployment
and friends), ``validators`` (JSON_SCHEMA and LAMBDA), ``dataplane`` (AppConfigData sessions),
``faults`` (fault injection), ``clock`` (service time), ``server`` (HTTP), ``service`` (the whole).
"""

from localcloud.appconfig.clock import Clock, ManualClock, ScaledClock
from localcloud.appconfig.faults import Faults
from localcloud.appconfig.service import LocalAppConfig

__all__ = ["Clock", "Faults", "LocalAppConfig", "ManualClock", "ScaledClock"]
