"""The SAM transform, as CloudFormation runs it: ``AWS::Serverless-2016-10-31`` -> plain resources.

It is AWS's own translator (``samtranslator``, the code behind the transform and ``sam validate``)
rather than a reading of its output: the roles, permissions, event invoke configs, rules and
layer versions the local cloud creates are the ones CloudFormation would.

Code is never uploaded. Before translating, each local ``CodeUri``/``ContentUri`` folder is
replaced by an S3 location that names its logical ID (what ``sam package`` would upload), and
afterwards that location leads back to the folder: the local Lambda runtime runs the code from
there.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

CODE_BUCKET = "localcloud-code"
_CODE_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


class TransformError(ValueError):
    """The SAM translator refused the template; the message is its own."""


@dataclass(frozen=True)
class Transformed:
    template: dict[str, Any]
    """The CloudFormation template, intrinsics unresolved (CloudFormation resolves them)."""
    code: dict[str, Path]
    """S3 key of each placeholder code location -> the local folder it stands for."""

    def code_folder(self, location: object) -> Path | None:
        """The local folder behind a function's ``Code`` or a layer's ``Content``."""
        if isinstance(location, dict) and location.get("S3Bucket") == CODE_BUCKET:
            return self.code.get(str(location.get("S3Key")))
        return None


def sam_transform(
    template: dict[str, Any],
    *,
    base: Path,
    parameters: dict[str, Any],
    region: str,
    managed_policies: Callable[[], dict[str, str]],
) -> Transformed:
    """``parameters``: the stack's parameter values and pseudo parameters (``AWS::StackName`` ...).

    ``managed_policies``: policy name -> ARN, asked only when a function names a managed policy."""
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    # The translator counts its work for AWS's own metrics, and warns that nobody publishes them.
    logging.getLogger("samtranslator.metrics.metrics").setLevel(logging.ERROR)
    document = copy.deepcopy(template)
    code = _replace_local_code(document, base)
    if document.get("Transform") is None:
        return Transformed(document, code)
    translator = Translator(None, Parser(), boto_session=boto3.Session(region_name=region))
    try:
        translated = translator.translate(
            document, parameter_values=dict(parameters), get_managed_policy_map=managed_policies
        )
    except InvalidDocumentException as error:
        causes = "; ".join(str(cause) for cause in error.causes)
        raise TransformError(f"the SAM transform refused the template: {causes}") from error
    return Transformed(translated, code)


def _replace_local_code(document: dict[str, Any], base: Path) -> dict[str, Path]:
    code: dict[str, Path] = {}
    globals_function = document.get("Globals", {}).get("Function", {})
    for logical_id, resource in document.get("Resources", {}).items():
        prop = _CODE_PROPERTIES.get(resource.get("Type", ""))
        if prop is None:
            continue
        properties = resource.setdefault("Properties", {})
        location = properties.get(prop, globals_function.get(prop) if prop == "CodeUri" else None)
        if isinstance(location, str) and not location.startswith("s3://"):
            folder = (base / location).resolve()
            if not folder.is_dir():
                raise TransformError(f"{logical_id}: {prop} {location!r} is not a folder under {base}")
            code[logical_id] = folder
            properties[prop] = {"Bucket": CODE_BUCKET, "Key": logical_id}
    return code
