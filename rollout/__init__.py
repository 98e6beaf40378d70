"""``rollout``: push a feature file and wait for its answer; look at every version's status.

    rollout --stack my-stack push feature-file.yml --wait     # 0 deployed, 1 rejected, 2 rolled
    rollout --bucket B --key K status                         #   back, 3 superseded, 4 failed or
    rollout --stack my-stack restore VERSION_ID --wait        #   timed out

Modules: ``cli`` (arguments and exit codes), ``target`` (which bucket, key and environment,
from a stack's outputs or the options), ``aws`` (the S3, AppConfig and CloudFormation calls),
``light`` (``push``'s calls without botocore, handed to it for anything but a plain answer) and
``light_settings`` (when that light path is taken), ``waiting`` (polling a version's record until
its status is final), ``show`` (what is printed).
"""
