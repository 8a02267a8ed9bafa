"""Outside formats in, Signals out. A source knows nothing about rules or channels."""
