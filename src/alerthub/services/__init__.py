"""Use cases shared by api/, web/ and cli/ (acknowledge, silence, heartbeats, webhooks, monitoring).
Imports any box, store/ and the bottom layer; never `hub` or a face."""
