"""impl: an independent, imperative TCP connection endpoint (RFC 9293).

Written from RFC 9293 3.10 and model/DECISIONS.md only; it must not import
``model`` or ``checker`` (tests/impl/test_impl_imports.py checks this).
"""

from .endpoint import TIMEOUT_KINDS, Endpoint
from .errors import (
    ConnectionClosing,
    ConnectionDoesNotExist,
    ConnectionExists,
    NotModelled,
    TcpError,
    TimerNotRunning,
)
from .iss import IssGenerator
from .segment import Segment
from .seqnum import MASK, MOD, seq_add, seq_diff, seq_ge, seq_gt, seq_le, seq_lt, seq_sub
from .state import SYNCHRONIZED_STATES, State
from .wire import (
    BadChecksum,
    BadDataOffset,
    BadOptionLength,
    TcpHeaderInfo,
    TcpOption,
    TruncatedHeader,
    WireError,
    decode,
    encode,
    mss_option,
)

__all__ = [
    "Endpoint",
    "TIMEOUT_KINDS",
    "State",
    "SYNCHRONIZED_STATES",
    "Segment",
    "IssGenerator",
    "TcpError",
    "ConnectionExists",
    "ConnectionDoesNotExist",
    "ConnectionClosing",
    "NotModelled",
    "TimerNotRunning",
    "MOD",
    "MASK",
    "seq_add",
    "seq_sub",
    "seq_diff",
    "seq_lt",
    "seq_le",
    "seq_gt",
    "seq_ge",
    "WireError",
    "TruncatedHeader",
    "BadDataOffset",
    "BadOptionLength",
    "BadChecksum",
    "TcpOption",
    "TcpHeaderInfo",
    "mss_option",
    "encode",
    "decode",
]
