"""Delivery: claims due notifications from the outbox, renders them, hands each to its channel,
paces per channel, retries with backoff and records the outcome."""
