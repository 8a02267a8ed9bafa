"""The `alerthub` command: thin over services/."""
