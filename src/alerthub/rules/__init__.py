"""What a signal means: which rule, which severity, and what it does to an alert's life cycle. Imports
the boxes to its right, store/ and the bottom layer; never sources/ or ingest/."""
