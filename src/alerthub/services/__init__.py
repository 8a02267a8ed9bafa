"""Use cases shared by api/, web/ and cli/."""
