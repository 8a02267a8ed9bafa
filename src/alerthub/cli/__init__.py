"""The `alerthub` command: thin over services/ and the composition root (`hub`). Nothing imports it."""
