"""Order worker: an SQS consumer whose behaviour the feature flags change.

Flags it reads: ``payment_provider`` (a non-boolean flag naming the provider that charges the
order) and ``free_shipping`` (a boolean flag whose rules usually target a tier or region).
"""
