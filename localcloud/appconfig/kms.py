"""``KmsKeyIdentifier`` -> ``KmsKeyArn``: the key AppConfig encrypts with, looked up in the Region's KMS.

A profile's ``KmsKeyIdentifier`` ("a KMS key ID, alias, or the Amazon Resource Name (ARN) of the
key ID or alias", CreateConfigurationProfile) and StartDeployment's ("key ID, key alias, or key
ARN") are answered back as given, and beside them as ``KmsKeyArn``, the ARN of the key they name
(https://docs.aws.amazon.com/appconfig/2019-10-09/APIReference/API_ConfigurationProfile.html,
API_Deployment.html). KMS's DescribeKey takes all four forms and reports that ARN.

AppConfig encrypts with the key itself ("AppConfig uses this ID to encrypt the configuration data
using a customer managed key", StartDeployment), so an identifier is refused unless it names an
enabled, customer managed, symmetric encryption key: KMS's GenerateDataKey refuses any other
(https://docs.aws.amazon.com/kms/latest/APIReference/API_GenerateDataKey.html).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from localcloud.appconfig.errors import bad_request, internal


def key_arn(kms: Any, identifier: str) -> str:
    """The ARN of the key ``identifier`` names, or the BadRequestException AppConfig answers."""
    try:
        metadata = kms.describe_key(KeyId=identifier)["KeyMetadata"]
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        raise bad_request(f"The KMS key {identifier} cannot be used: {code or error}") from error
    except BotoCoreError as error:
        raise internal(f"KMS could not be reached: {error}") from error
    problem = _unusable(metadata)
    if problem:
        raise bad_request(f"The KMS key {identifier} cannot be used: {problem}")
    return str(metadata["Arn"])


def _unusable(metadata: dict[str, Any]) -> str | None:
    if metadata.get("KeyState") != "Enabled":
        return f"the key is {metadata.get('KeyState')}"
    if metadata.get("KeyManager") != "CUSTOMER":
        return "it is not a customer managed key"
    # CreateKey's defaults, which a KMS that leaves them out of DescribeKey (moto) means.
    usage = metadata.get("KeyUsage") or "ENCRYPT_DECRYPT"
    spec = metadata.get("KeySpec") or "SYMMETRIC_DEFAULT"
    if (usage, spec) != ("ENCRYPT_DECRYPT", "SYMMETRIC_DEFAULT"):
        return "it is not a symmetric encryption key"
    return None


__all__ = ["key_arn"]
