"""Parse, validate and bound what comes from outside before any rule sees it."""
