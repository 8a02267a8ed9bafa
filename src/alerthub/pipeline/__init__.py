"""The notification pipeline, in Alertmanager's order (see `build.py`): route → group → inhibit → time
windows → silences → dedup → fan-out → enqueue (outbox rows written in the transaction that decided
them). It may import `domain/`, `config`, `errors`, `store/` and `telemetry`; never `rules/`, `ingest/`
or `sources/` (to its left), nor `hub` or a face."""
