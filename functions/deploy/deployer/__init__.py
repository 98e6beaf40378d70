"""Deploy function: turns an S3 upload of the configuration file into an AppConfig deployment.

Modules, from the outside in: ``handler`` (the Lambda entry point), ``uploads`` (S3 event records
to uploads), ``rollout`` (the decision for one upload), ``aws`` (the AppConfig and S3 calls
behind small interfaces), ``outcomes`` (what became of each record).
"""
