"""A local AWS AppConfig + AppConfigData service that real boto3 clients talk to over HTTP.

Modules, one job each: ``wire`` (restJson1 from botocore's models), ``signing`` (the Region a
request is signed for), ``errors`` (modelled error shapes), ``state`` (one Region's resources),
``control`` (CRUD), ``kms`` (key identifiers to key ARNs), ``feature_flags`` (the
AWS.AppConfig.FeatureFlags schema and retrieval form), ``strategies`` (predefined strategies and
rollout steps), ``deployments`` (the deployment state machine), ``rollouts`` (StartDeployment
and friends), ``validators`` (JSON_SCHEMA and LAMBDA), ``extensions`` (AWS-authored extensions
and associations), ``notifications`` (what the notification extensions send, delivered once),
``dataplane`` (AppConfigData sessions), ``faults`` (fault injection), ``clock`` (service time),
``region`` (one Region's parts wired together), ``server`` (HTTP), ``service`` (the whole).
"""

from localcloud.appconfig.clock import Clock, ManualClock, ScaledClock
from localcloud.appconfig.faults import Faults
from localcloud.appconfig.service import CALLED_SERVICES, LocalAppConfig

__all__ = ["CALLED_SERVICES", "Clock", "Faults", "LocalAppConfig", "ManualClock", "ScaledClock"]
