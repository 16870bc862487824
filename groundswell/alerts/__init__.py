"""Alerting: rules over what was stored, alerts with evidence, outbox delivery, duty, escalation."""
