"""A configuration of one endpoint: an immutable, hashable value.

(state, PASSIVE, ISS, IRS, SND.UNA, SND.NXT, SND.WND, RCV.NXT, RCV.WND).
ISS and RCV.WND are parameters of the endpoint (3.4.1: the ISS is chosen
when the connection is created; the model's receive window is constant) and
survive the deletion of the TCB; everything else is reset by it.
"""

from __future__ import annotations

from typing import NamedTuple

from model.seq import MASK
from model.state import State

FIELDS = {  # RFC variable name -> Config field
    "PASSIVE": "passive", "ISS": "iss", "IRS": "irs", "SND.UNA": "snd_una",
    "SND.NXT": "snd_nxt", "SND.WND": "snd_wnd", "RCV.NXT": "rcv_nxt", "RCV.WND": "rcv_wnd",
}


class Config(NamedTuple):
    state: State
    passive: bool
    iss: int
    irs: int
    snd_una: int
    snd_nxt: int
    snd_wnd: int
    rcv_nxt: int
    rcv_wnd: int

    def env(self) -> dict:
        """The variables as the table names them."""
        return {"PASSIVE": self.passive, "ISS": self.iss, "IRS": self.irs,
                "SND.UNA": self.snd_una, "SND.NXT": self.snd_nxt, "SND.WND": self.snd_wnd,
                "RCV.NXT": self.rcv_nxt, "RCV.WND": self.rcv_wnd}

    def brief(self) -> str:
        if self.state in (State.CLOSED, State.LISTEN):
            return str(self.state)
        return (f"{self.state} UNA={self.snd_una} NXT={self.snd_nxt} "
                f"RCV.NXT={self.rcv_nxt}")


def closed(iss: int, rcv_wnd: int = 4) -> Config:
    """An endpoint with no TCB."""
    return Config(State.CLOSED, False, iss & MASK, 0, 0, 0, 0, 0, rcv_wnd & MASK)


def fresh_tcb(cfg: Config, state: State) -> Config:
    """Entering CLOSED deletes the TCB; entering LISTEN starts a fresh one
    that remembers it came from a passive OPEN (MUST-11)."""
    return Config(state, state is State.LISTEN, cfg.iss, 0, 0, 0, 0, 0, cfg.rcv_wnd)


def from_env(state: State, env: dict) -> Config:
    return Config(state, bool(env["PASSIVE"]), env["ISS"], env["IRS"], env["SND.UNA"],
                  env["SND.NXT"], env["SND.WND"], env["RCV.NXT"], env["RCV.WND"])
