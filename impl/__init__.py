"""impl: an independent, imperative TCP connection endpoint (RFC 9293).

Written from RFC 9293 3.10 and model/DECISIONS.md only; it must not import
``model`` or ``checker`` (tests/impl/test_impl_imports.py checks this).
"""

# The public names are each module's own __all__, gathered once here.
from . import endpoint, errors, iss, segment, seqnum, state, wire
from .endpoint import *  # noqa: F403
from .errors import *  # noqa: F403
from .iss import *  # noqa: F403
from .segment import *  # noqa: F403
from .seqnum import *  # noqa: F403
from .state import *  # noqa: F403
from .wire import *  # noqa: F403

__all__ = [*endpoint.__all__, *errors.__all__, *iss.__all__, *segment.__all__, *seqnum.__all__,
           *state.__all__, *wire.__all__]
