"""The outbox of a broker: events published in the application's SQL transaction, relayed after commit.

``EventBus("redis://...", outbox="sqlite:///app.db")``. An event published inside
``bus.transaction(connection)`` (or with ``within=connection``) is written into the
application's database in its transaction, in the table a ``sqlite://`` store keeps its
events in (``hookwise_events``): rolled back with the application's rows, or committed
with them. Then a relay moves the committed events to Redis and deletes them: right
after the commit (in the publishing process), and in every worker every ``poll``
seconds, so that events of a process that died after its commit are relayed by the
workers. A relay that crashed after sending and before deleting sends again; Redis drops
what it has seen (a key per event id, kept a week), so nothing is lost and nothing is
added twice.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final, final

from hookwise.events._sqlite import SQLiteStore
from hookwise.events._units import Unit, committed
from hookwise.exceptions import EventStoreError

if TYPE_CHECKING:
    from hookwise.events._redis import RedisStore
    from hookwise.events._store import Envelope

_log: Final = logging.getLogger("hookwise.events")

SEEN_FOR: Final = 7 * 86400
"""Seconds Redis remembers a relayed event's id, to drop it if a relay sends it again."""

_SEND_ONCE: Final = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', tonumber(ARGV[1])) then
  return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 2))
end
return false
"""
"""XADD the fields in ARGV[2..] to KEYS[2], unless KEYS[1] (the event's id) was seen."""


@final
class Outbox:
    """The outbox table in the application's SQLite database, and the relay from it to a broker."""

    def __init__(self, url: str, broker: RedisStore) -> None:
        if not url.startswith("sqlite:///"):
            msg = f"outbox={url!r}: the outbox is the application's SQLite database, sqlite:///path/app.db"
            raise EventStoreError(msg)
        self.url = url
        self.table = SQLiteStore(url)
        self.broker = broker
        self._send_once: Any = broker.redis.register_script(_SEND_ONCE)

    @contextmanager
    def transaction(self, connection: object) -> Generator[Unit, None, None]:
        """The application's transaction, with its events written into it; relayed after the commit."""
        with committed(self.table.join(connection)) as unit:
            yield unit
        self.relay_soon()

    def join(self, connection: object) -> Unit:
        """The application's open transaction; events written into it are relayed after it commits."""
        unit = self.table.join(connection)
        unit.after_commit(self.relay_soon)
        return unit

    def publish_in(self, unit: Unit, envelopes: Sequence[Envelope]) -> None:
        """Write events into the application's transaction."""
        self.table.publish_in(unit, envelopes)

    def relay(self) -> int:
        """Move every committed event to the broker, oldest first; how many.

        Raises:
            EventStoreError: the broker or the database cannot be reached (the events stay).
        """
        total = 0
        while moved := self.table.hand_over(self._send):
            total += moved
        return total

    def relay_soon(self) -> None:
        """Relay now if the broker answers; if it does not, the workers' relay will."""
        try:
            self.relay()
        except EventStoreError as error:
            _log.warning("events wait in the outbox %s until the broker answers: %s", self.url, error)

    def _send(self, envelopes: Sequence[Envelope]) -> None:
        def send(r: Any) -> None:
            pipe = r.pipeline(transaction=False)
            for envelope in envelopes:
                fields = [value for pair in self.broker.fields(envelope).items() for value in pair]
                keys = [self.broker.key("seen", envelope.id), self.broker.key("stream", envelope.name)]
                self._send_once(keys=keys, args=[SEEN_FOR, *fields], client=pipe)
            pipe.execute()

        self.broker.call("relay the outbox", send)

    def close(self) -> None:
        """Close the outbox's connections."""
        self.table.close()
