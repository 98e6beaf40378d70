"""AppConfig caching Lambda extension, compatible with the AWS AppConfig Agent's HTTP API.

Lives in ``/opt/appconfig-cache/``, on no import path but its own, so it never collides with a
function's dependencies.
"""
