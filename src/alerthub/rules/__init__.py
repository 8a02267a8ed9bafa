"""What a signal means: which rule, which severity, and what it does to an alert's life cycle."""
