"""The only place SQL lives: the persistence layer any box may use. Repositories are modules of functions
over an AsyncConnection, so a use case can put several of them in one transaction. Imports only the
bottom layer (`domain/`, `errors`, `config`)."""

from alerthub.store.database import Database

__all__ = ["Database"]
