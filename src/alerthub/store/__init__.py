"""The only place SQL lives. Repositories are modules of functions over an AsyncConnection,
so a use case can put several of them in one transaction."""

from alerthub.store.database import Database

__all__ = ["Database"]
