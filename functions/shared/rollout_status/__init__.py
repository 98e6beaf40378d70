"""The status of each uploaded version of the configuration object, shared by every function
that writes one (the deploy function, the status function, the validator's report) and by the
``rollout`` command that reads them.

``model`` is pure: statuses, the record of a version and the rule that decides whether a
reported change applies. ``store`` keeps records in S3 beside the object, tags the object
version and announces each change on EventBridge. ``locations`` names where things live;
``reports`` is the validator's list of problems for one version.
"""
