"""The local cloud: what ``template.yaml`` describes, running on this machine with no AWS account,
as strict as AWS (its documented semantics, not what is convenient for our code). Real boto3
clients reach it through the standard ``AWS_ENDPOINT_URL_*`` variables, so the functions run
unchanged.

Services (what boto3 talks to)
    ``moto``            moto's server: S3, SQS, CloudWatch, STS, ... everything moto implements.
    ``appconfig/``      a local AppConfig + AppConfigData service, for what moto lacks
                        (environments, strategies, deployments with validators, sessions); its
                        own ``__init__`` maps its modules. Fault injection and its clock live there.
    ``s3_events``       S3's notifications to Lambda, shaped as S3 sends them (``versionId``,
                        ``sequencer``), delivered at least once and out of order on request.
    ``alarms``          CloudWatch's evaluation of the consumers' error alarm.
    ``clients``         boto3 clients bound to these endpoints, typed per service.

The Lambda runtime (``lambda_runtime/``: how functions and extensions run)
    ``functions``       the template's functions, each in an execution environment of its own
                        (a ``_worker`` process), invoked as Lambda invokes them.
    ``async_invoke``    asynchronous invocation: retries, event age, the on-failure queue.
    ``sandbox``         the Extensions API, starting a layer's ``extensions/*`` as Lambda does.
    ``consumers``       (here) a consumer's environment: the real extension plus its handler.

CloudFormation-like provisioning
    ``template``        reads the template (short-form tags) and resolves what it alone decides.
    ``stack``           creates its resources in dependency order through the services' APIs.

Entry points
    ``pipeline``        ``LocalPipeline``: all of the above wired together, for the demo and the
                        end-to-end tests.
    ``demo``            ``make demo``: the narrated pipeline.
    ``__main__``        ``make local-up`` / ``make local-status``: the pipeline kept running.
    ``testing``         the pytest plugin: ``local_cloud``, ``local_appconfig``, ``moto_server``.
"""
