"""How Lambda runs code, imitated locally: ``functions`` (execution environments, one ``_worker``
process each, Init then invokes), ``async_invoke`` (asynchronous invocation with its retries and
on-failure destination) and ``sandbox`` (the Extensions API for a layer's extensions)."""
