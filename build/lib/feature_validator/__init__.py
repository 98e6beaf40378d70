"""Validates the YAML feature file that AWS AppConfig is about to deploy.

The same code serves the Lambda validator (``feature_validator.handler``) and the command line
(``python -m feature_validator FILE...``): ``validate(content)`` returns the parsed document or raises
``FeatureFileInvalid`` with every problem located by path and ``line:column``.
"""
