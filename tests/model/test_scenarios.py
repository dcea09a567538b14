"""The eight scenarios drawn in RFC 9293 3.5 and 3.6, replayed through the
table segment by segment with the figures' own numbers. Each assertion is
one line of the figure: the segment sent, and the states after it."""

from tests.modelharness import End, brief, seg, synchronized

from model.state import State as S


def test_figure6_basic_three_way_handshake():
    a, b = End(iss=100), End(iss=300)
    b.open(active=False)                                      # 1. CLOSED / LISTEN
    assert (a.state, b.state) == (S.CLOSED, S.LISTEN)
    syn = a.open(active=True)                                 # 2. --> <SEQ=100><CTL=SYN>
    assert brief(syn) == ["<SEQ=100><CTL=SYN>"] and a.state is S.SYN_SENT
    synack = b.rcv(syn[0])
    assert b.state is S.SYN_RECEIVED
    assert brief(synack) == ["<SEQ=300><ACK=101><CTL=SYN,ACK>"]  # 3.
    ack = a.rcv(synack[0])
    assert a.state is S.ESTABLISHED
    assert brief(ack) == ["<SEQ=101><ACK=301><CTL=ACK>"]          # 4.
    assert b.rcv(ack[0]) == [] and b.state is S.ESTABLISHED
    data = a.send(5)                                              # 5. same SEQ: ACKs take no space
    assert brief(data) == ["<SEQ=101><ACK=301><CTL=ACK><DATA=5>"]
    assert brief(b.rcv(data[0])) == ["<SEQ=301><ACK=106><CTL=ACK>"]
    assert a.state is b.state is S.ESTABLISHED


def test_figure7_simultaneous_connection_synchronization():
    a, b = End(iss=100), End(iss=300)
    syn_a = a.open(active=True)                               # 2. A --> <SEQ=100><CTL=SYN> ...
    syn_b = b.open(active=True)                               # 3. <-- <SEQ=300><CTL=SYN>
    synack_a = a.rcv(syn_b[0])
    assert a.state is S.SYN_RECEIVED
    synack_b = b.rcv(syn_a[0])                                # 4. ... <SEQ=100><CTL=SYN> -->
    assert b.state is S.SYN_RECEIVED
    assert brief(synack_a) == ["<SEQ=100><ACK=301><CTL=SYN,ACK>"]  # 5.
    assert brief(synack_b) == ["<SEQ=300><ACK=101><CTL=SYN,ACK>"]  # 6.
    assert a.rcv(synack_b[0]) == [] and a.state is S.ESTABLISHED    # 6. ESTABLISHED <--
    assert b.rcv(synack_a[0]) == [] and b.state is S.ESTABLISHED    # 7. --> ESTABLISHED
    assert (a.cfg.snd_nxt, a.cfg.rcv_nxt, b.cfg.snd_nxt, b.cfg.rcv_nxt) == (101, 301, 301, 101)


def test_figure8_recovery_from_old_duplicate_syn():
    a, b = End(iss=100), End(iss=300)
    b.open(active=False)
    syn = a.open(active=True)                                 # 2. SYN-SENT --> <SEQ=100><CTL=SYN> ...
    synack_old = b.rcv(seg(90, ctl="SYN"))                    # 3. (duplicate) <SEQ=90><CTL=SYN>
    assert b.state is S.SYN_RECEIVED
    assert brief(synack_old) == ["<SEQ=300><ACK=91><CTL=SYN,ACK>"]  # 4.
    rst = a.rcv(synack_old[0])
    assert a.state is S.SYN_SENT
    assert brief(rst) == ["<SEQ=91><CTL=RST>"]                     # 5.
    assert b.rcv(rst[0]) == [] and b.state is S.LISTEN             # 5. --> LISTEN (Note 1)
    # 3.4.1: B's ISS comes from its clock; by line 7 it has moved on to 400.
    b.cfg = b.cfg._replace(iss=400)
    synack = b.rcv(syn[0])                                         # 6. ... <SEQ=100><CTL=SYN> -->
    assert b.state is S.SYN_RECEIVED
    assert brief(synack) == ["<SEQ=400><ACK=101><CTL=SYN,ACK>"]    # 7.
    ack = a.rcv(synack[0])
    assert a.state is S.ESTABLISHED
    assert brief(ack) == ["<SEQ=101><ACK=401><CTL=ACK>"]           # 8.
    assert b.rcv(ack[0]) == [] and b.state is S.ESTABLISHED


def test_figure9_half_open_connection_discovery():
    a = End(iss=400)                                          # 1-2. A rebooted: CLOSED
    b = synchronized(S.ESTABLISHED, snd_nxt=300, rcv_nxt=100)  # (send 300, receive 100)
    syn = a.open(active=True)
    assert brief(syn) == ["<SEQ=400><CTL=SYN>"]                # 3.
    ack = b.rcv(syn[0])                                        # (??) a SYN in a synchronized state
    assert b.state is S.ESTABLISHED
    assert brief(ack) == ["<SEQ=300><ACK=100><CTL=ACK>"]       # 4.
    rst = a.rcv(ack[0])                                        # (!!) unacceptable ACK in SYN-SENT
    assert a.state is S.SYN_SENT
    assert brief(rst) == ["<SEQ=100><CTL=RST>"]                # 5.
    assert b.rcv(rst[0]) == [] and b.state is S.CLOSED         # 5-6. (Abort!!) CLOSED
    assert brief(a.timeout("retransmission")) == ["<SEQ=400><CTL=SYN>"]  # 7.


def test_figure10_active_side_causes_half_open_connection_discovery():
    a = End(iss=1000)                                          # 1. A rebooted: CLOSED
    b = synchronized(S.ESTABLISHED, snd_nxt=300, rcv_nxt=100)
    data = b.send(10)
    assert brief(data) == ["<SEQ=300><ACK=100><CTL=ACK><DATA=10>"]  # 2.
    rst = a.rcv(data[0])
    assert brief(rst) == ["<SEQ=100><CTL=RST>"]                     # 3.
    assert b.rcv(rst[0]) == [] and b.state is S.CLOSED              # (ABORT!!)


def test_figure11_old_duplicate_syn_initiates_reset_on_two_passive_sockets():
    Z, X = 0xFFFFFFFF, 7000                                    # Z+1 wraps to 0
    a, b = End(iss=5000), End(iss=X)
    a.open(active=False)
    b.open(active=False)                                       # 1. LISTEN / LISTEN
    synack = b.rcv(seg(Z, ctl="SYN"))                          # 2. ... <SEQ=Z><CTL=SYN> -->
    assert b.state is S.SYN_RECEIVED
    assert brief(synack) == [f"<SEQ={X}><ACK=0><CTL=SYN,ACK>"]  # 3. <SEQ=X><ACK=Z+1>
    rst = a.rcv(synack[0])
    assert brief(rst) == ["<SEQ=0><CTL=RST>"]                   # 4. <SEQ=Z+1><CTL=RST>
    assert a.state is S.LISTEN
    assert b.rcv(rst[0]) == [] and b.state is S.LISTEN          # 4-5. return to LISTEN


def test_figure12_normal_close_sequence():
    a = synchronized(S.ESTABLISHED, snd_nxt=100, rcv_nxt=300)
    b = synchronized(S.ESTABLISHED, snd_nxt=300, rcv_nxt=100)
    fin_a = a.close()                                           # 2. (Close) FIN-WAIT-1
    assert a.state is S.FIN_WAIT_1
    assert brief(fin_a) == ["<SEQ=100><ACK=300><CTL=FIN,ACK>"]
    ack_b = b.rcv(fin_a[0])
    assert b.state is S.CLOSE_WAIT
    assert brief(ack_b) == ["<SEQ=300><ACK=101><CTL=ACK>"]      # 3.
    assert a.rcv(ack_b[0]) == [] and a.state is S.FIN_WAIT_2
    fin_b = b.close()                                           # 4. (Close) LAST-ACK
    assert b.state is S.LAST_ACK
    assert brief(fin_b) == ["<SEQ=300><ACK=101><CTL=FIN,ACK>"]
    ack_a = a.rcv(fin_b[0])
    assert a.state is S.TIME_WAIT
    assert brief(ack_a) == ["<SEQ=101><ACK=301><CTL=ACK>"]      # 5.
    assert b.rcv(ack_a[0]) == [] and b.state is S.CLOSED
    assert a.timeout("time-wait") == [] and a.state is S.CLOSED  # 6. (2 MSL) CLOSED


def test_figure13_simultaneous_close_sequence():
    a = synchronized(S.ESTABLISHED, snd_nxt=100, rcv_nxt=300)
    b = synchronized(S.ESTABLISHED, snd_nxt=300, rcv_nxt=100)
    fin_a, fin_b = a.close(), b.close()                         # 2. (Close) (Close)
    assert brief(fin_a) == ["<SEQ=100><ACK=300><CTL=FIN,ACK>"]
    assert brief(fin_b) == ["<SEQ=300><ACK=100><CTL=FIN,ACK>"]
    assert a.state is b.state is S.FIN_WAIT_1
    ack_a, ack_b = a.rcv(fin_b[0]), b.rcv(fin_a[0])
    assert a.state is b.state is S.CLOSING                      # 3.
    assert brief(ack_a) == ["<SEQ=101><ACK=301><CTL=ACK>"]
    assert brief(ack_b) == ["<SEQ=301><ACK=101><CTL=ACK>"]
    assert a.rcv(ack_b[0]) == [] and b.rcv(ack_a[0]) == []
    assert a.state is b.state is S.TIME_WAIT                    # 4.
    a.timeout("time-wait")
    b.timeout("time-wait")
    assert a.state is b.state is S.CLOSED


def test_figure5_note2_fin_wait_1_to_time_wait_when_fin_arrives_with_ack_of_our_fin():
    a = synchronized(S.ESTABLISHED, snd_nxt=100, rcv_nxt=300)
    a.close()
    ack = a.rcv(seg(300, 101, "FIN"))
    assert a.state is S.TIME_WAIT
    assert brief(ack) == ["<SEQ=101><ACK=301><CTL=ACK>"]
    assert a.fired == ["seq-ok@FIN-WAIT-1", "rst-none@FIN-WAIT-1", "syn-none@FIN-WAIT-1",
                       "ack-fin-acked@FIN-WAIT-1", "text-none@FIN-WAIT-2", "fin@FIN-WAIT-2"]


def test_half_close_data_flows_after_the_first_fin():
    a = synchronized(S.ESTABLISHED, snd_nxt=100, rcv_nxt=300)
    b = synchronized(S.ESTABLISHED, snd_nxt=300, rcv_nxt=100)
    b.rcv(a.close()[0])
    a.rcv(seg(300, 101))
    assert (a.state, b.state) == (S.FIN_WAIT_2, S.CLOSE_WAIT)
    data = b.send(3)                                            # 3.6.1: the open direction still sends
    assert brief(data) == ["<SEQ=300><ACK=101><CTL=ACK><DATA=3>"]
    assert brief(a.rcv(data[0])) == ["<SEQ=101><ACK=303><CTL=ACK>"]
    fin = b.close()
    assert brief(fin) == ["<SEQ=303><ACK=101><CTL=FIN,ACK>"]
    assert brief(a.rcv(fin[0])) == ["<SEQ=101><ACK=304><CTL=ACK>"] and a.state is S.TIME_WAIT
