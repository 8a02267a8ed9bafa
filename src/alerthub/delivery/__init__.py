"""Outbox to channels: claim, pace, render, send, retry, record; imports channels, store, loops, telemetry, config."""
