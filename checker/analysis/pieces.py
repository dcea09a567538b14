"""The pieces of one endpoint's moves in the dense form of
`checker.analysis.engine` (parts and channels as interned ids): `_Host`
answers both search loops on a memo miss, the compiled one (`_csearch.c`)
and the pure-Python one, whose memos are `_Pieces`. What a move is stays in
`checker.analysis.space`; this module only translates."""

from __future__ import annotations

from checker.analysis.space import renumbered

S_LA, S_LB, W = 59, 88, 29  # the engine's packed fields (checked against it by the engine at import)


class _Host:
    """The pieces of an endpoint's moves (`_Space.room`, `spontaneous`,
    `time_wait`, `deliveries`, `faults`, `old_syn`) in dense form: parts
    and channels as ids, moves as tuples of ints. Both loops ask it on a
    memo miss: the compiled one (`_csearch`, which also reads `inc`, `iss`,
    `hot` and `chan_len` as they grow) and `_Pieces`."""

    def __init__(self, dn):  # an engine.Dense
        self.dn, self.sp = dn, dn.space
        self.inc, self.iss, self.hot, self.chan_len = dn.inc, dn.iss, dn.hot, dn.chan_len

    def _dense(self, moves: list, with_inbox: bool = False) -> tuple:
        dn = self.dn
        if with_inbox:
            return tuple((dn.part(cfg, budget, ghost), dn.chan(items), dn.chan(inbox), label[6])
                         for label, cfg, budget, ghost, items, inbox, _old in moves)
        return tuple((dn.part(cfg, budget, ghost), dn.chan(items)) for label, cfg, budget, ghost, items, _i, _o in moves)

    def spont(self, side: int, L: int, room: int) -> tuple:
        return self._dense(self.sp.spontaneous(side, *self.dn.parts[L], room))

    def tw(self, side: int, L: int) -> tuple:
        return self._dense(self.sp.time_wait(side, *self.dn.parts[L]))

    def deliv(self, side: int, L: int, cin: int) -> tuple:
        # the peer's incarnation only labels a late segment: the dense entries keep no labels
        return self._dense(self.sp.deliveries(side, *self.dn.parts[L], self.dn.chans[cin], 0), with_inbox=True)

    def faults(self, side: int, cin: int, n_out: int) -> tuple:
        # faults change no endpoint: any part will do for the call, only the inbox is kept
        return tuple(self.dn.chan(m[5]) for m in self.sp.faults(side, 0, (), (), self.dn.chans[cin], n_out))

    def old(self, side: int, L: int, peer_iss: int) -> tuple:
        return self._dense(self.sp.old_syn(side, *self.dn.parts[L], peer_iss))

    def app(self, c: int, items: int) -> tuple:
        chans = self.dn.chans
        return (self.dn.chan(chans[c] + chans[items]),)

    def room(self, cout: int, cin: int, mine: int, peer_inc: int) -> tuple:
        chans = self.dn.chans
        return (self.sp.room(chans[cout], chans[cin], mine, peer_inc),)

    def renumber(self, k: int) -> int:
        return self.dn.pack(renumbered(self.dn.unpack(k), self.sp.inc_limit))


class _Pieces:
    """The host's pieces memoised for the pure-Python loop, new parts
    pre-shifted into the endpoint's field. Each memo key holds exactly
    what its piece reads."""

    def __init__(self, host: _Host, side: int):
        self.host, self.dn, self.side = host, host.dn, side
        self.own_shift = S_LA if side == 0 else S_LB
        self.spont: dict[int, tuple] = {}
        self.tw: dict[int, tuple] = {}
        self.deliv: dict[int, tuple] = {}
        self.faults: dict[int, tuple] = {}
        self.old: dict[tuple, tuple] = {}

    def _shifted(self, moves: tuple) -> tuple:
        sh = self.own_shift
        return tuple((m[0] << sh,) + m[1:] for m in moves)

    def spont_miss(self, L: int, room: int) -> tuple:
        out = self.spont[(L << 4) | room] = self._shifted(self.host.spont(self.side, L, room))
        return out

    def tw_miss(self, L: int) -> tuple:
        out = self.tw[L] = self._shifted(self.host.tw(self.side, L))
        return out

    def deliv_miss(self, L: int, cin: int) -> tuple:
        out = self.deliv[(L << W) | cin] = self._shifted(self.host.deliv(self.side, L, cin))
        return out

    def faults_miss(self, cin: int, n_out: int, key: int) -> tuple:
        out = self.faults[key] = self.host.faults(self.side, cin, n_out)
        return out

    def old_miss(self, L: int, peer_iss: int) -> tuple:
        out = self.old[(L, peer_iss)] = self._shifted(self.host.old(self.side, L, peer_iss))
        return out
