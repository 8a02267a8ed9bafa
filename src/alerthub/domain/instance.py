from __future__ import annotations

import os
import socket
import uuid


def new_instance_id() -> str:
    """Who holds a lease (`host:pid:random`, at most 81 characters): readable in the database, and never
    shared by two loops, two hubs in one process (the tests) or a restarted process."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
