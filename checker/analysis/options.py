"""The environment and channel as parameters (one options object that the
explorer, the checks, the benchmarks and the CLI all take)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

MAX_ISS = (1 << 32) - 1
# the TCB bound stays below the explorer's renumbering threshold
# (space.INC_LIMIT = 15 with OPENs and the old SYN on top), so the counts it
# compares are the true ones
MAX_TCBS = 8


@dataclass(frozen=True)
class Options:
    """What the closed two-endpoint system may do.

    capacity: a user call, a retransmission or a duplication is enabled only
      while the channel it adds to holds fewer than `capacity` segments and
      the reverse channel at most `capacity` (a segment sent in reply to an
      arrival is never refused, so a channel holds at most 2 x capacity).
    loss, duplication, reordering: channel faults.
    old_syn: the network may deliver, once, a SYN left over from an earlier
      incarnation of the connection (3.5, Figure 8) to either endpoint.
    abort: the ABORT call and the user timeout (3.10.5, 3.10.8) exist.
    data: octets each user may SEND (one octet per call), over all its incarnations.
    opens: OPEN calls per endpoint, so incarnations of the connection (3.4:
      a reconnect, a server that listens again, an active OPEN from LISTEN).
    iss_steps: how far the ISN clock moves between incarnations (3.4.1):
      each later TCB draws ISS = previous ISS + d for each d here; empty
      (the default) is the smallest step beyond the numbers an incarnation
      uses (`steps`).
    iss_a, iss_b: the endpoints' initial sequence numbers (3.4.1).
    rcv_wnd: both endpoints' constant receive window.
    tcbs: at most this many TCBs per endpoint from SYNs taken in LISTEN (0:
      no bound). A listener whose endpoint has created `tcbs` TCBs takes
      no SYN from the channel: the SYN stays in the network, where the
      lossy channel may lose it (so it needs `loss`: every run of the
      bounded system is a run of the unbounded one). Why a bound at all:
      every SYN that reaches LISTEN creates a TCB whose ISS is the previous
      ISS + d (3.4.1's clock), and duplicated or reordered SYNs can do so
      again and again, so the ISS walks the whole 2^32 circle: without the
      bound such runs have about 2^32/d times as many states as with it.
    r2: R2 is finite (3.8.3, MUST-20: after R2 retransmissions of one
      segment, close the connection). It is what the user timeout of the
      runs with ABORT explores; in a run without them, no-livelock counts an
      attracting component in which, in every state, a side retransmits and
      the two TCBs are not one connection (3.5.1 half-open) as ended by R2,
      apart. False is R2 = infinity (MUST-21 lets an application choose
      it): such a component is then a livelock.
    """

    capacity: int = 1
    loss: bool = True
    duplication: bool = False
    reordering: bool = False
    old_syn: bool = True
    abort: bool = True
    data: int = 1
    opens: int = 1
    iss_steps: tuple = ()
    iss_a: int = MAX_ISS
    iss_b: int = 0x7FFFFFFF
    rcv_wnd: int = 4
    tcbs: int = 0
    r2: bool = True

    def with_(self, **kw) -> "Options":
        return replace(self, **kw)

    def steps(self) -> tuple[int, ...]:
        """The ISN clock's steps. By default data + 2: an incarnation uses
        ISS (its SYN), at most `data` octets (the budget spans every
        incarnation) and one FIN, so the next ISS lies just beyond what
        the old one used (3.4.1: the ISN of a new incarnation is not in
        the old one's sequence space); a step of 1 puts it inside, as after
        a crash without quiet time (3.4.3)."""
        return self.iss_steps or (self.data + 2,)

    def faults(self) -> str:
        names = [n for n in ("loss", "duplication", "reordering", "old_syn") if getattr(self, n)]
        return "+".join(names) or "reliable"

    def label(self) -> str:
        return (f"k={self.capacity} {self.faults()} {'abort' if self.abort else 'no-abort'} "
                f"data={self.data} opens={self.opens} ISS=({self.iss_a:#x},{self.iss_b:#x})"
                + (f" +{','.join(map(str, self.steps()))}" if self.opens > 1 else "")
                + ("" if self.r2 or self.abort else " R2=inf")
                + (f" tcbs={self.tcbs}" if self.tcbs else ""))

    def as_dict(self) -> dict:
        return asdict(self)

    def validate(self) -> None:
        if not 1 <= self.capacity <= 8:
            raise ValueError(f"--channel-capacity must be 1..8, got {self.capacity}")
        if not 1 <= self.opens <= 4:
            raise ValueError(f"--opens must be 1..4, got {self.opens}")
        if not all(1 <= d < 1 << 31 for d in self.iss_steps):
            raise ValueError(f"--iss-steps must be 1..2^31-1 each, got {self.iss_steps}")
        if not 0 <= self.data <= 4:
            raise ValueError(f"--data must be 0..4, got {self.data}")
        for n in ("iss_a", "iss_b"):
            v = getattr(self, n)
            if not 0 <= v <= MAX_ISS:
                raise ValueError(f"--{n.replace('_', '-')} must be in 0..2^32-1, got {v}")
        if not 0 <= self.tcbs <= MAX_TCBS:
            raise ValueError(f"--max-tcbs must be 0 (no bound) or 1..{MAX_TCBS}, got {self.tcbs}")
        if self.tcbs and not self.loss:
            raise ValueError("--max-tcbs needs --loss: a SYN the bound refuses stays in the network, "
                             "and only a lossy channel can take it away")
        if not 1 <= self.rcv_wnd <= 1 << 30:
            raise ValueError(f"--rcv-wnd must be 1..2^30, got {self.rcv_wnd}")
