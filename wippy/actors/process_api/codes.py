"""The result codes of ``wippy:process``: what each negative return means.

Every core function that can fail returns a negative code (and ``last_error`` gives the
message); the component form returns ``result<_, string>`` with the same message.
"""

from __future__ import annotations

from typing import Final

BAD_ARGUMENT: Final = -1
"""An argument is malformed: text that is not UTF-8, a pid string that does not parse, an empty
pid or name, data that is not one MessagePack value (spawn ``args``: not an array), unknown
``flags`` bits, a ``timeout_ms`` below -1, a name that cannot be registered."""
NO_PROCESS: Final = -2
"""No live process has that pid or name: a name nobody registered, a pid already gone (for
``send``, ``terminate``, ``cancel``), ``unregister`` of a name this process does not hold."""
SPAWN_FAILED: Final = -3
"""``spawn`` was refused: unknown entry or host, a host stopped or full, arguments that do not
fit the entry, a module that does not load, a machine limit."""
NAME_TAKEN: Final = -4
"""``register``: another live process holds the name."""
NO_ITEM: Final = -5
"""``current_*``: there is no current item (nothing received yet, or the last receive timed
out)."""
NOT_ENCODABLE: Final = -6
"""``current_data``: the item carries a Python value that MessagePack cannot represent (the
item is still current: its topic and sender can be read)."""

NAMES: Final = {
    BAD_ARGUMENT: "bad argument",
    NO_PROCESS: "no such process",
    SPAWN_FAILED: "spawn failed",
    NAME_TAKEN: "name taken",
    NO_ITEM: "no current item",
    NOT_ENCODABLE: "not encodable",
}

# What receive returns: the kind of the item that became current.
TIMEOUT: Final = 0
MESSAGE: Final = 1
EXIT: Final = 2
LINK_DOWN: Final = 3
CANCEL: Final = 4
OTHER_EVENT: Final = 5
"""Any other event (a ``SUPERVISION`` report from a monitored supervisor): ``current_topic``
is its type."""


class ApiError(Exception):
    """A ``wippy:process`` call failed with ``code`` (one of the negative codes above)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
