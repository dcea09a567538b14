"""tcpcheck: every reader of the RFC 9293 table (model/). cli/ the commands,
analysis/ the table and graph checks, proofs/ the z3 proofs, generate/ the
diagrams, ladders and oracles, traces/ capture reading and conform."""

__version__ = "0.2.0"
