"""Plain data types every box shares. No I/O here."""
