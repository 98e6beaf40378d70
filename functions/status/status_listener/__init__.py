"""Status function: sets the statuses that only AWS's own events tell.

``deployed`` and ``rolled-back`` come from AppConfig's deployment events
(``AWS.AppConfig.DeploymentNotificationsToEventBridge``), confirmed with GetDeployment;
``failed`` comes from Lambda's on-failure destination when the deploy function's retries ran
out (the same event also lands on the failure queue). Modules: ``settings`` (the environment),
``deployments`` and ``failures`` (pure: event -> status change), ``handler`` (the entry point).
"""
