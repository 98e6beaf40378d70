"""Flags API: a Function URL that evaluates the feature flags for a caller (tier, region, user).

A consumer of the deployed configuration: it reads it through the caching extension and lets
Powertools' FeatureFlags rules engine decide each flag for the caller's context.
"""
