"""Control plane CRUD: applications, environments, configuration profiles, deployment
strategies, hosted configuration versions and tags.

Each method is one operation: modelled input members in, modelled output members out.
Quotas follow the ServiceQuotaExceededException documentation (aws-facts.md, section H).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from localcloud.appconfig import feature_flags
from localcloud.appconfig.errors import bad_request, conflict, not_found, payload_too_large, quota_exceeded
from localcloud.appconfig.kms import key_arn
from localcloud.appconfig.state import Application, Environment, State, new_id, page, pick
from localcloud.appconfig.strategies import predefined
from localcloud.appconfig.validators import check_schema

if TYPE_CHECKING:
    from collections.abc import Callable

APPLICATIONS_PER_ACCOUNT = 100
STRATEGIES_PER_ACCOUNT = 20
PROFILES_PER_APPLICATION = 100
ENVIRONMENTS_PER_APPLICATION = 20
# "Configurations must be 2 MB or smaller" (the hosted store page of the current user guide,
# https://docs.aws.amazon.com/appconfig/latest/userguide/appconfig-creating-configuration-and-profile-about-hosted-store.html;
# the older CloudFormation page still says 1 MB).
HOSTED_MAX_BYTES = 2 * 1024 * 1024

APP_KEYS = ("Id", "Name", "Description")
ENV_KEYS = ("ApplicationId", "Id", "Name", "Description", "State", "Monitors")
PROFILE_KEYS = (
    "ApplicationId",
    "Id",
    "Name",
    "Description",
    "LocationUri",
    "RetrievalRoleArn",
    "Validators",
    "Type",
    "KmsKeyArn",
    "KmsKeyIdentifier",
)
STRATEGY_KEYS = (
    "Id",
    "Name",
    "Description",
    "DeploymentDurationInMinutes",
    "GrowthType",
    "GrowthFactor",
    "FinalBakeTimeInMinutes",
    "ReplicateTo",
)


class ControlPlane:
    def __init__(self, state: State, *, kms: Callable[[], Any]) -> None:
        self.state = state
        self._kms = kms
        for strategy in predefined():
            state.strategies[strategy["Id"]] = strategy

    # ---------------------------------------------------------------- applications
    def CreateApplication(self, p: dict[str, Any]) -> dict[str, Any]:
        s = self.state
        if len(s.applications) >= APPLICATIONS_PER_ACCOUNT:
            raise quota_exceeded(f"You have reached the maximum of {APPLICATIONS_PER_ACCOUNT} applications")
        resource = {"Id": new_id(), **pick(p, ("Name", "Description"))}
        s.applications[resource["Id"]] = Application(resource)
        self._tag(s.arn(f"application/{resource['Id']}"), p)
        return dict(resource)

    def GetApplication(self, p: dict[str, Any]) -> dict[str, Any]:
        return dict(self.state.application(p["ApplicationId"]).resource)

    def ListApplications(self, p: dict[str, Any]) -> dict[str, Any]:
        return page([dict(a.resource) for a in self.state.applications.values()], p)

    def UpdateApplication(self, p: dict[str, Any]) -> dict[str, Any]:
        resource = self.state.application(p["ApplicationId"]).resource
        resource.update(pick(p, ("Name", "Description")))
        return dict(resource)

    def DeleteApplication(self, p: dict[str, Any]) -> dict[str, Any]:
        self.state.application(p["ApplicationId"])
        del self.state.applications[p["ApplicationId"]]
        self.state.forget(f"application/{p['ApplicationId']}")
        return {}

    # ---------------------------------------------------------------- environments
    def CreateEnvironment(self, p: dict[str, Any]) -> dict[str, Any]:
        app = self.state.application(p["ApplicationId"])
        if len(app.environments) >= ENVIRONMENTS_PER_APPLICATION:
            raise quota_exceeded(
                f"You have reached the maximum of {ENVIRONMENTS_PER_APPLICATION} environments"
            )
        resource = {
            "ApplicationId": p["ApplicationId"],
            "Id": new_id(),
            "State": "READY_FOR_DEPLOYMENT",
            "Monitors": list(p.get("Monitors") or []),
            **pick(p, ("Name", "Description")),
        }
        app.environments[resource["Id"]] = Environment(resource)
        self._tag(self.state.arn(f"application/{p['ApplicationId']}/environment/{resource['Id']}"), p)
        return dict(resource)

    def GetEnvironment(self, p: dict[str, Any]) -> dict[str, Any]:
        return dict(self.state.environment(p["ApplicationId"], p["EnvironmentId"]).resource)

    def ListEnvironments(self, p: dict[str, Any]) -> dict[str, Any]:
        app = self.state.application(p["ApplicationId"])
        return page([dict(e.resource) for e in app.environments.values()], p)

    def UpdateEnvironment(self, p: dict[str, Any]) -> dict[str, Any]:
        resource = self.state.environment(p["ApplicationId"], p["EnvironmentId"]).resource
        resource.update(pick(p, ("Name", "Description", "Monitors")))
        return dict(resource)

    def DeleteEnvironment(self, p: dict[str, Any]) -> dict[str, Any]:
        env = self.state.environment(p["ApplicationId"], p["EnvironmentId"])
        if env.reserved or any(d.in_progress for d in env.deployments):
            raise conflict(f"Environment {p['EnvironmentId']} has a deployment in progress")
        del self.state.applications[p["ApplicationId"]].environments[p["EnvironmentId"]]
        self.state.forget(f"application/{p['ApplicationId']}/environment/{p['EnvironmentId']}")
        return {}

    # ---------------------------------------------------------------- configuration profiles
    def CreateConfigurationProfile(self, p: dict[str, Any]) -> dict[str, Any]:
        app = self.state.application(p["ApplicationId"])
        if len(app.profiles) >= PROFILES_PER_APPLICATION:
            raise quota_exceeded(f"You have reached the maximum of {PROFILES_PER_APPLICATION} profiles")
        kind = p.get("Type", "AWS.Freeform")
        location = p["LocationUri"]
        self._check_profile(kind, location, p.get("RetrievalRoleArn"), p.get("Validators") or [])
        resource = {
            "ApplicationId": p["ApplicationId"],
            "Id": new_id(),
            "Type": kind,
            "Validators": [],
            **pick(
                p,
                ("Name", "Description", "LocationUri", "RetrievalRoleArn", "Validators", "KmsKeyIdentifier"),
            ),
        }
        self._resolve_key(resource)
        app.profiles[resource["Id"]] = resource
        app.hosted[resource["Id"]] = []
        self._tag(
            self.state.arn(f"application/{p['ApplicationId']}/configurationprofile/{resource['Id']}"), p
        )
        return dict(resource)

    def GetConfigurationProfile(self, p: dict[str, Any]) -> dict[str, Any]:
        return dict(self.state.profile(p["ApplicationId"], p["ConfigurationProfileId"]))

    def ListConfigurationProfiles(self, p: dict[str, Any]) -> dict[str, Any]:
        app = self.state.application(p["ApplicationId"])
        items = [
            {
                **pick(r, ("ApplicationId", "Id", "Name", "LocationUri", "Type")),
                "ValidatorTypes": [v["Type"] for v in r.get("Validators", [])],
            }
            for r in app.profiles.values()
            if not p.get("Type") or r["Type"] == p["Type"]
        ]
        return page(items, p)

    def UpdateConfigurationProfile(self, p: dict[str, Any]) -> dict[str, Any]:
        profile = self.state.profile(p["ApplicationId"], p["ConfigurationProfileId"])
        merged = {
            **profile,
            **pick(p, ("Name", "Description", "RetrievalRoleArn", "Validators", "KmsKeyIdentifier")),
        }
        self._check_profile(
            merged["Type"],
            merged["LocationUri"],
            merged.get("RetrievalRoleArn"),
            merged.get("Validators") or [],
        )
        if p.get("KmsKeyIdentifier") == "":  # KmsKeyIdentifierOrEmpty: the empty string removes the key
            del merged["KmsKeyIdentifier"]
            merged.pop("KmsKeyArn", None)
        elif "KmsKeyIdentifier" in p:
            self._resolve_key(merged)
        profile.clear()
        profile.update(merged)
        return dict(profile)

    def DeleteConfigurationProfile(self, p: dict[str, Any]) -> dict[str, Any]:
        app = self.state.application(p["ApplicationId"])
        profile_id = p["ConfigurationProfileId"]
        self.state.profile(p["ApplicationId"], profile_id)
        if any(app.hosted.get(profile_id, [])):
            # What AWS answers, word for word (https://github.com/aws/aws-cdk/issues/26804,
            # https://github.com/pulumi/pulumi/issues/20098): versions are deleted one by one first.
            raise bad_request(
                f"Cannot delete configuration profile {profile_id} because there are still hosted "
                "configuration versions existing under it."
            )
        del app.profiles[profile_id]
        app.hosted.pop(profile_id, None)
        self.state.forget(f"application/{p['ApplicationId']}/configurationprofile/{profile_id}")
        return {}

    def _resolve_key(self, profile: dict[str, Any]) -> None:
        if profile.get("KmsKeyIdentifier"):
            profile["KmsKeyArn"] = key_arn(self._kms(), profile["KmsKeyIdentifier"])

    @staticmethod
    def _check_profile(kind: str, location: str, role: str | None, validators: list[dict[str, Any]]) -> None:
        # Feature-flag profiles live in the hosted store only; every non-hosted source needs a role.
        if kind == "AWS.AppConfig.FeatureFlags" and location != "hosted":
            raise bad_request(
                "Feature flag configuration profiles must use the AppConfig hosted store (hosted)"
            )
        if location.startswith("s3://"):
            bucket, _, key = location[5:].partition("/")
            if not bucket or not key:
                raise bad_request(f"LocationUri {location} must have the form s3://<bucket>/<objectKey>")
        if location != "hosted" and not location.startswith("codepipeline://") and not role:
            raise bad_request(f"RetrievalRoleArn is required for the configuration source {location}")
        for validator in validators:
            if validator["Type"] == "JSON_SCHEMA":
                check_schema(validator["Content"])
            elif not validator["Content"].startswith("arn:"):
                raise bad_request(
                    f"A LAMBDA validator's Content must be a Lambda function ARN: {validator['Content']}"
                )

    # ---------------------------------------------------------------- deployment strategies
    def CreateDeploymentStrategy(self, p: dict[str, Any]) -> dict[str, Any]:
        s = self.state
        custom = [k for k in s.strategies if not k.startswith("AppConfig.")]
        if len(custom) >= STRATEGIES_PER_ACCOUNT:
            raise quota_exceeded(
                f"You have reached the maximum of {STRATEGIES_PER_ACCOUNT} deployment strategies"
            )
        resource = {
            "Id": new_id(),
            "GrowthType": "LINEAR",
            "FinalBakeTimeInMinutes": 0,
            "ReplicateTo": "NONE",
            **pick(p, STRATEGY_KEYS[1:]),
        }
        resource["GrowthFactor"] = float(resource["GrowthFactor"])
        s.strategies[resource["Id"]] = resource
        self._tag(s.arn(f"deploymentstrategy/{resource['Id']}"), p)
        return dict(resource)

    def GetDeploymentStrategy(self, p: dict[str, Any]) -> dict[str, Any]:
        return dict(self.state.strategy(p["DeploymentStrategyId"]))

    def ListDeploymentStrategies(self, p: dict[str, Any]) -> dict[str, Any]:
        return page([dict(r) for r in self.state.strategies.values()], p)

    def UpdateDeploymentStrategy(self, p: dict[str, Any]) -> dict[str, Any]:
        sid = p["DeploymentStrategyId"]
        resource = self.state.strategy(sid)
        if sid.startswith("AppConfig."):
            raise bad_request(f"Predefined deployment strategy {sid} cannot be updated")
        resource.update(
            pick(
                p,
                (
                    "Description",
                    "DeploymentDurationInMinutes",
                    "FinalBakeTimeInMinutes",
                    "GrowthFactor",
                    "GrowthType",
                ),
            )
        )
        resource["GrowthFactor"] = float(resource["GrowthFactor"])
        return dict(resource)

    def DeleteDeploymentStrategy(self, p: dict[str, Any]) -> dict[str, Any]:
        sid = p["DeploymentStrategyId"]
        self.state.strategy(sid)
        if sid.startswith("AppConfig."):
            raise bad_request(f"Predefined deployment strategy {sid} cannot be deleted")
        del self.state.strategies[sid]
        self.state.forget(f"deploymentstrategy/{sid}")
        return {}

    # ---------------------------------------------------------------- hosted configuration versions
    def CreateHostedConfigurationVersion(self, p: dict[str, Any]) -> dict[str, Any]:
        profile = self.state.profile(p["ApplicationId"], p["ConfigurationProfileId"])
        if profile["LocationUri"] != "hosted":
            raise bad_request(f"Configuration profile {profile['Id']} is not in the hosted store")
        content = bytes(p.get("Content") or b"")
        if len(content) > HOSTED_MAX_BYTES:
            raise payload_too_large(
                "Hosted configurations must be 2 MB or smaller", HOSTED_MAX_BYTES, len(content)
            )
        if profile["Type"] == feature_flags.TYPE:
            feature_flags.check(content)
        versions = self.state.application(p["ApplicationId"]).hosted[profile["Id"]]
        latest = p.get("LatestVersionNumber")
        if latest is not None and latest != len(versions):
            raise conflict(f"LatestVersionNumber {latest} is not the latest version ({len(versions)})")
        version = {
            "ApplicationId": p["ApplicationId"],
            "ConfigurationProfileId": profile["Id"],
            "VersionNumber": len(versions) + 1,
            "Content": content,
            **pick(p, ("Description", "ContentType", "VersionLabel")),
            **pick(profile, ("KmsKeyArn",)),
        }
        versions.append(version)
        return dict(version)

    def GetHostedConfigurationVersion(self, p: dict[str, Any]) -> dict[str, Any]:
        return dict(
            self.hosted_version(p["ApplicationId"], p["ConfigurationProfileId"], str(p["VersionNumber"]))
        )

    def ListHostedConfigurationVersions(self, p: dict[str, Any]) -> dict[str, Any]:
        self.state.profile(p["ApplicationId"], p["ConfigurationProfileId"])
        versions = self.state.application(p["ApplicationId"]).hosted.get(p["ConfigurationProfileId"], [])
        items = [
            {k: v for k, v in version.items() if k != "Content"}
            for version in reversed(versions)
            if version and (not p.get("VersionLabel") or version.get("VersionLabel") == p["VersionLabel"])
        ]
        return page(items, p)

    def DeleteHostedConfigurationVersion(self, p: dict[str, Any]) -> dict[str, Any]:
        version = self.hosted_version(
            p["ApplicationId"], p["ConfigurationProfileId"], str(p["VersionNumber"])
        )
        versions = self.state.application(p["ApplicationId"]).hosted[p["ConfigurationProfileId"]]
        versions[version["VersionNumber"] - 1] = {}
        return {}

    def hosted_version(self, app_id: str, profile_id: str, version: str) -> dict[str, Any]:
        """By number, or by label (StartDeployment accepts either for hosted configurations)."""
        self.state.profile(app_id, profile_id)
        versions: list[dict[str, Any]] = [
            v for v in self.state.application(app_id).hosted.get(profile_id, []) if v
        ]
        for candidate in reversed(versions):
            if str(candidate["VersionNumber"]) == version or candidate.get("VersionLabel") == version:
                return dict(candidate)
        raise not_found(
            f"Hosted configuration version {version} not found for profile {profile_id}",
            "HostedConfigurationVersion",
        )

    # ---------------------------------------------------------------- tags
    # Each answers ResourceNotFoundException for an ARN that names nothing in this Region
    # (https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_TagResource.html, Errors).
    def ListTagsForResource(self, p: dict[str, Any]) -> dict[str, Any]:
        self.state.resource_type(p["ResourceArn"])
        return {"Tags": dict(self.state.tags.get(p["ResourceArn"], {}))}

    def TagResource(self, p: dict[str, Any]) -> dict[str, Any]:
        self.state.resource_type(p["ResourceArn"])
        self.state.tags.setdefault(p["ResourceArn"], {}).update(p["Tags"])
        return {}

    def UntagResource(self, p: dict[str, Any]) -> dict[str, Any]:
        self.state.resource_type(p["ResourceArn"])
        tags = self.state.tags.get(p["ResourceArn"], {})
        for key in p["TagKeys"]:
            tags.pop(key, None)
        return {}

    def _tag(self, arn: str, p: dict[str, Any]) -> None:
        if p.get("Tags"):
            self.state.tags[arn] = dict(p["Tags"])


__all__ = ["APP_KEYS", "ENV_KEYS", "PROFILE_KEYS", "STRATEGY_KEYS", "ControlPlane"]
