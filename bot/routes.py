"""The HTTP paths napkin serves; plain constants, so any module can import them without Slack libraries."""

EVENTS_PATH = "/slack/events"
"""Slash commands, events and interactivity (the manifest's request URLs end with it)."""
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
