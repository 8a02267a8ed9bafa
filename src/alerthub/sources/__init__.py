"""Outside formats in, Signals out: a module + a registry.py line per source; imports ingest, domain, config, errors."""
