"""The prose of `faq` and `explain`, in English and Chinese: one dict per
language, the same keys in both (tests/generate/test_faq.py checks that
every key has both and that both use the same {placeholders}). Ladders,
segment notation (<SEQ=..><ACK=..><CTL=..>), state names, check names and
the checks' own summaries stay in RFC 9293 notation and English in both
languages; what is translated is the explanation around them.

A dict rather than gettext .po files: the texts are templates filled with
values computed by the run, the catalogue must travel with the package
without a compile step (.po to .mo) or a locale set-up, and a missing
translation must be a failing test, not a silent fall-back to English."""

from __future__ import annotations

LANGS = ("en", "zh")

EN = {
    # --- the frame of an answer ---
    "head": "{n}. [{key}] {title}",
    "property": "property: {check} (RFC 9293 {ref})",
    "on.standard": "on the RFC 9293 table ({source}):",
    "on.variant": "on the variant {name} ({source}): {what}",
    "no.variant": "no variant breaks this: both behaviours are legal, and the table must keep them working",
    "ladder.head": "legal on the RFC 9293 table: {title} (RFC 9293 {ref}), ISS A={a} B={b}:",
    "ladder.stopped": "the table stopped the scenario: {why}",
    "marks": "ISN marks: x = ISS of A = {x}, y = ISS of B = {y}",
    "rfc": "RFC 9293:",
    "ran": "answered by running the model: {seconds:.1f}s",
    "stands": "the answer stands: {check} fails on {variant} and holds on the RFC 9293 table",
    "stands.novariant": "the answer stands: {checks} hold on the RFC 9293 table and the ladders complete",
    "broken": "the answer does NOT stand: {detail}",
    "unchecked": "the answer was not checked: {detail}",
    "detail.standard": "{check} does not hold on the RFC 9293 table",
    "detail.variant": "{check} does not fail on {variant}",
    "detail.ladder": "the ladder {name} does not complete on the RFC 9293 table",
    "list": "the questions (python -m checker faq QUESTION):",
    "err.unknown": "unknown question {q!r}; the questions: {keys}",
    "err.format": "--format {fmt} draws one question's ladders: name the QUESTION",
    # --- RST in each state ---
    "resets.head": "what a RST does in each state (the table's rows, stepped on one configuration per state):",
    "resets.cols": "state / RST at RCV.NXT / in the window, not at RCV.NXT / outside the window",
    "resets.to": "-> {state}",
    "resets.challenge": "challenge ACK {seg}",
    "resets.ignored": "ignored",
    "resets.wrongack": "RST,ACK of a wrong ACK: ignored",
    "blind": ("a blind attacker on ESTABLISHED (RCV.NXT={rcv_nxt}, RCV.WND={rcv_wnd}): of {tried} values of "
              "SEG.SEQ tried (offsets 0..{last} from RCV.NXT and 2^31), {reset} resets the connection and {challenge} "
              "draw a challenge ACK; on {variant} {vreset} reset"),
    # --- the variants ---
    "variant.two_way_handshake": "the listener enters ESTABLISHED on the SYN; no third message",
    "variant.no_half_close": "the first FIN closes both directions: the closer ignores the text still arriving "
                             "and takes the peer's FIN wherever it is",
    "variant.no_time_wait": "FIN-WAIT-2 and CLOSING go straight to CLOSED",
    "variant.fixed_iss": "every incarnation starts from the same ISS",
    "variant.rfc793_rst": "any RST in the receive window resets (RFC 793, without RFC 5961)",
    "variant.rfc793_syn_ack_check": "RFC 793's ACK test SND.UNA =< SEG.ACK in SYN-SENT and SYN-RECEIVED",
    # --- the questions ---
    "three-way.title": "Why three messages to open a connection?",
    "three-way.answer": (
        "A SYN alone cannot tell a new connection request from an old duplicate one still in the network. With "
        "a two-way handshake (variant {variant}) the listener becomes ESTABLISHED as soon as a SYN arrives, so an "
        "old duplicate SYN opens a connection nobody asked for: {why} ({steps} steps). With three messages the "
        "listener waits for the ACK of its own SYN,ACK, which only a peer that really sent that SYN gives; an old "
        "SYN's SYN,ACK is answered with a RST and the listener returns to LISTEN (the ladder below)."),
    "three-way.rfc": (
        "3.5: \"The principal reason for the three-way handshake is to prevent old duplicate connection "
        "initiations from causing confusion\" (Figure 8 draws the recovery); 3.4 and 3.3.1: each side chooses "
        "its ISN and learns the other's (IRS) from a SYN that it must acknowledge; 3.10.7.3 and 3.10.7.4: the "
        "RST for an unacceptable ACK, and SYN-RECEIVED returning to LISTEN after a passive OPEN (MUST-11)."),
    "four-way.title": "Why four messages to close, and when do three suffice?",
    "four-way.answer": (
        "Each direction is closed on its own: CLOSE means \"I have no more data to send\", so A's FIN closes only "
        "A to B, and B may go on sending until its own user calls CLOSE. B's FIN is then a message of its own, "
        "acknowledged on its own: four segments (first ladder: B sends after A's FIN). When B has nothing more "
        "to send as A's FIN arrives, its ACK rides on its FIN,ACK and three segments suffice (second ladder; "
        "legal: A goes from FIN-WAIT-1 straight to TIME-WAIT). A table that closes both directions on the first "
        "FIN (variant {variant}) loses what the other side still sends after the first FIN, and tells it that "
        "everything arrived (in the counterexample {closer} closes first and {sender} still sends): {why} ({steps} steps)."),
    "four-way.rfc": (
        "3.6: \"CLOSE is an operation meaning 'I have no more data to send.' ... We have chosen to treat CLOSE in "
        "a simplex fashion\", Figures 12 and 13; 3.6.1: the two directions close independently; a host MAY "
        "implement a half-duplex close (MAY-1), but then data arriving after CLOSE SHOULD draw a RST \"to show "
        "that data was lost\" (SHLD-3): losing it silently, as the variant does, is no option; 3.10.7.4 seventh "
        "and eighth: text is accepted in FIN-WAIT-1 and FIN-WAIT-2, and a FIN is taken only at RCV.NXT."),
    "time-wait.title": "Why TIME-WAIT, and why 2MSL?",
    "time-wait.answer": (
        "The side that closes first cannot know whether its last ACK arrived, and segments of the connection may "
        "still be in the network. TIME-WAIT keeps the connection for 2MSL (a segment's lifetime each way) so "
        "that it can acknowledge a retransmitted FIN again, and so that no segment of this incarnation is still "
        "alive when the next incarnation on the same ports starts. Without TIME-WAIT (variant {variant}) the "
        "explorer finds, with two incarnations whose numbers overlap (the ISN clock moved by 1 only, as for a "
        "connection that sent faster than the clock ran, 3.4.1): {why} ({steps} steps; #1 marks a segment of the first "
        "incarnation, late when it arrives after the second began)."),
    "time-wait.rfc": (
        "3.6.1: \"When a connection is closed actively, it MUST linger in the TIME-WAIT state for a time 2xMSL "
        "(Maximum Segment Lifetime)\" (MUST-13); 3.6 Figures 12 and 13; 3.4.2 and 3.4.3: old segments of an "
        "earlier incarnation and the quiet time; 3.10.7.4 eighth: a FIN again in TIME-WAIT is acknowledged again "
        "and restarts the 2MSL timeout."),
    "isn.title": "Why random or clock-driven initial sequence numbers?",
    "isn.answer": (
        "Sequence numbers are what tells one incarnation of a connection from the next one on the same ports. "
        "If every incarnation starts from the same ISN (variant {variant}), a segment of the old incarnation fits "
        "the new one's sequence space: {why} ({steps} steps). An ISN driven by a clock, plus a keyed hash of the "
        "addresses and ports, keeps a new incarnation's numbers away from the old one's (and out of an "
        "off-path attacker's reach)."),
    "isn.rfc": (
        "3.4.1: \"A TCP implementation MUST use the above type of 'clock' for clock-driven selection of initial "
        "sequence numbers (MUST-8)\", and SHOULD use ISN = M + F(localip, localport, remoteip, remoteport, "
        "secretkey) (SHLD-1), F not computable from outside (MUST-9); 3.4: \"we must prevent segments from one "
        "incarnation of a connection from being used while the same sequence numbers may still be present in "
        "the network from an earlier incarnation\"; 3.4.3: the quiet time."),
    "simultaneous.title": "What happens when both sides open, or close, at the same time?",
    "simultaneous.answer": (
        "Both are legal. When the two SYNs cross, each side goes SYN-SENT -> SYN-RECEIVED and answers with a "
        "SYN,ACK: four segments, no LISTEN anywhere, and both reach ESTABLISHED. When the two FINs cross, each "
        "side goes FIN-WAIT-1 -> CLOSING -> TIME-WAIT, and both wait 2MSL. The z3 proofs {checks} cover these "
        "paths for all 2^32 ISNs: {summary}."),
    "simultaneous.rfc": (
        "3.5: \"A TCP implementation MUST support simultaneous open attempts (MUST-10)\", Figure 7; 3.6 case 3 "
        "and Figure 13: the simultaneous close; 3.10.7.3: a SYN in SYN-SENT enters SYN-RECEIVED; 3.10.7.4 "
        "eighth: a FIN in FIN-WAIT-1 enters CLOSING, whose ACK leads to TIME-WAIT."),
    "rst.title": "What does a RST do in each state, and why does a blind RST almost never work?",
    "rst.answer": (
        "A RST ends a synchronized connection only if its SEG.SEQ is exactly RCV.NXT. One elsewhere in the window "
        "changes nothing and draws a challenge ACK: the true peer, which knows RCV.NXT, then sends the exact RST; "
        "one outside the window is dropped. In SYN-SENT a RST counts only if it acknowledges the SYN; CLOSED and "
        "LISTEN ignore it; SYN-RECEIVED after a passive OPEN returns to LISTEN. A blind attacker, who does not "
        "see the connection, must guess RCV.NXT: 1 value of 2^32. With RFC 793's rule (variant {variant}) any "
        "of RCV.WND values resets, RCV.WND in 2^32, which a large window makes practical: {why}."),
    "rst.rfc": (
        "3.5.2 and 3.5.3: when a RST is sent, and \"In all states except SYN-SENT, all reset (RST) segments are "
        "validated by checking their SEQ fields\"; 3.10.7.4 second, for stacks implementing RFC 5961 3.2: \"If "
        "the RST bit is set and the sequence number exactly matches the next expected sequence number (RCV.NXT), "
        "then TCP endpoints MUST reset the connection\", and in the window otherwise \"MUST send an "
        "acknowledgment (challenge ACK)\" (RFC 9293 still describes the RFC 793 processing for stacks without "
        "that protection); 3.10.7.3: SYN-SENT; 3.10.7.1 and 3.10.7.2: CLOSED and LISTEN ignore a RST."),
    "syn-ack.title": "Why is the ACK of a SYN ISN+1?",
    "syn-ack.answer": (
        "The SYN occupies one sequence number, just before the first octet of data, so that it is acknowledged "
        "and retransmitted like data. A's SYN carries SEQ=x ({x}); the ACK of it is the next number B expects, "
        "x+1 ({x1}); B's SYN,ACK carries SEQ=y ({y}), and A's ACK of it y+1 ({y1}); A's first octet of data is "
        "numbered x+1 too. An ACK of x itself acknowledges nothing, yet RFC 793's test SND.UNA =< SEG.ACK "
        "(variant {variant}) takes it as acknowledging the SYN: {why}."),
    "syn-ack.rfc": (
        "3.4: \"For sequence number purposes, the SYN is considered to occur before the first actual data octet "
        "of the segment in which it occurs\"; 3.3.1: SEG.LEN counts the SYN and the FIN; 3.10.7.3: in SYN-SENT, "
        "\"If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset\"; 3.10.7.4 fifth: SYN-RECEIVED enters "
        "ESTABLISHED only \"If SND.UNA < SEG.ACK =< SND.NXT\" (RFC 793's \"=<\", errata 3300 and 3301)."),
    # --- explain ---
    "explain.head": "{title} (RFC 9293 {ref}); model {model}, ISS A={a} B={b}",
    "explain.stopped": "explain {name}: model {model} cannot go on with the scenario: {why}",
    "scenario.handshake": "Basic three-way handshake, then data",
    "scenario.close": "Normal close sequence",
    "scenario.simultaneous-open": "Simultaneous connection synchronization",
    "scenario.simultaneous-close": "Simultaneous close sequence",
    "scenario.half-close": "Half-closed connection: B keeps sending after A's CLOSE",
    "scenario.half-open": "Half-open connection discovery after A reboots",
    "scenario.old-duplicate-syn": "Recovery from an old duplicate SYN",
    "scenario.three-segment-close": "Close in three segments: B's ACK rides on its FIN",
    "scenario.refused": "Connection refused: a SYN to a port nobody listens on",
    # --- explain --live ---
    "live.noroot": "explain --live needs root (a private network namespace and a packet socket): {why}; "
                   "`python -m checker explain {name}` draws the model's ladder without it",
    "live.head": "{title}: the Linux kernel's own segments, captured in a private network namespace "
                 "(A {a} is the client, B {b} the server)",
    "live.judged": "conform judged every line against model {model}: {verdict}",
    "live.ok": "conforms",
    "live.bad": "NOT a run of the table",
    "live.after": "not judged (after the violation)",
}

ZH = {
    "head": "{n}. [{key}] {title}",
    "property": "性质：{check}（RFC 9293 {ref}）",
    "on.standard": "在 RFC 9293 转移表上（{source}）：",
    "on.variant": "在变体 {name} 上（{source}）：{what}",
    "no.variant": "没有变体破坏它：两种行为都合法，转移表必须让它们都能完成",
    "ladder.head": "在 RFC 9293 转移表上合法：{title}（RFC 9293 {ref}），ISS A={a} B={b}：",
    "ladder.stopped": "转移表中止了该场景：{why}",
    "marks": "ISN 标记：x = A 的 ISS = {x}，y = B 的 ISS = {y}",
    "rfc": "RFC 9293：",
    "ran": "由运行模型得出的回答，用时 {seconds:.1f}s",
    "stands": "回答成立：{check} 在 {variant} 上失败，在 RFC 9293 转移表上成立",
    "stands.novariant": "回答成立：{checks} 在 RFC 9293 转移表上成立，且梯形图都能走完",
    "broken": "回答不成立：{detail}",
    "unchecked": "回答未能检查：{detail}",
    "detail.standard": "{check} 在 RFC 9293 转移表上不成立",
    "detail.variant": "{check} 在 {variant} 上没有失败",
    "detail.ladder": "梯形图 {name} 在 RFC 9293 转移表上走不完",
    "list": "问题列表（python -m checker faq 问题名）：",
    "err.unknown": "未知问题 {q!r}；可选的问题：{keys}",
    "err.format": "--format {fmt} 只画一个问题的梯形图：请指定问题名",
    "resets.head": "RST 在每个状态下的作用（由转移表的行在每个状态的一个配置上逐步计算）：",
    "resets.cols": "状态 / SEG.SEQ = RCV.NXT 的 RST / 在窗口内但不等于 RCV.NXT / 在窗口外",
    "resets.to": "-> {state}",
    "resets.challenge": "挑战 ACK {seg}",
    "resets.ignored": "忽略",
    "resets.wrongack": "确认号错误的 RST,ACK：忽略",
    "blind": ("盲攻击者对 ESTABLISHED 连接（RCV.NXT={rcv_nxt}，RCV.WND={rcv_wnd}）：试了 {tried} 个 SEG.SEQ 值"
              "（相对 RCV.NXT 偏移 0..{last} 以及 2^31），{reset} 个重置了连接，{challenge} 个引出挑战 ACK；"
              "在 {variant} 上 {vreset} 个重置了连接"),
    "variant.two_way_handshake": "监听方收到 SYN 就进入 ESTABLISHED；没有第三个报文",
    "variant.no_half_close": "第一个 FIN 同时关闭两个方向：先关闭的一方忽略仍在到达的数据，并且不论对端 FIN 在哪里都接受它",
    "variant.no_time_wait": "FIN-WAIT-2 和 CLOSING 直接进入 CLOSED",
    "variant.fixed_iss": "每个连接化身都从同一个 ISS 开始",
    "variant.rfc793_rst": "接收窗口内的任何 RST 都会重置连接（RFC 793，没有 RFC 5961）",
    "variant.rfc793_syn_ack_check": "在 SYN-SENT 和 SYN-RECEIVED 中使用 RFC 793 的确认检查 SND.UNA =< SEG.ACK",
    "three-way.title": "为什么建立连接需要三个报文？",
    "three-way.answer": (
        "单凭一个 SYN，无法区分新的连接请求和仍滞留在网络中的旧的重复请求。若采用两次握手（变体 {variant}），"
        "监听方一收到 SYN 就进入 ESTABLISHED，于是一个旧的重复 SYN 会打开一个谁也没有请求的连接：{why}"
        "（{steps} 步）。有了三个报文，监听方要等对自己的 SYN,ACK 的确认，而只有真正发出该 SYN 的对端才会给出这个确认；"
        "旧 SYN 引出的 SYN,ACK 会被对端以 RST 回答，监听方回到 LISTEN（见下面的梯形图）。"),
    "three-way.rfc": (
        "3.5：“三次握手的主要原因是防止旧的重复连接初始化造成混乱”（图 8 画出了恢复过程）；3.4 和 3.3.1：双方各自选择 ISN，"
        "并从对方必须确认的 SYN 中得知对方的 ISN（IRS）；3.10.7.3 和 3.10.7.4：对不可接受的 ACK 回 RST，"
        "以及被动 OPEN 后的 SYN-RECEIVED 回到 LISTEN（MUST-11）。"),
    "four-way.title": "为什么关闭连接需要四个报文？什么时候三个就够？",
    "four-way.answer": (
        "两个方向各自关闭：CLOSE 的意思是“我没有更多数据要发送了”，所以 A 的 FIN 只关闭 A 到 B 的方向，"
        "B 可以继续发送，直到它自己的用户调用 CLOSE。于是 B 的 FIN 是一个单独的报文，也要单独确认：四个报文段"
        "（第一张梯形图：A 的 FIN 之后 B 仍在发送）。如果 A 的 FIN 到达时 B 已无数据可发，B 的 ACK 可以捎带在它的 "
        "FIN,ACK 上，三个报文段就够了（第二张梯形图；合法：A 从 FIN-WAIT-1 直接进入 TIME-WAIT）。"
        "若转移表在第一个 FIN 时就关闭两个方向（变体 {variant}），另一方在第一个 FIN 之后仍在发送的数据就会丢失，"
        "而它却被告知一切都已送达（反例中 {closer} 先关闭，{sender} 仍在发送）：{why}（{steps} 步）。"),
    "four-way.rfc": (
        "3.6：“CLOSE 的意思是‘我没有更多数据要发送了’……我们选择以单工方式对待 CLOSE”，图 12 和图 13；"
        "3.6.1：两个方向独立关闭；主机可以实现半双工关闭（MAY-1），但此时 CLOSE 之后到达的数据应当引出 RST，"
        "“以表明数据丢失了”（SHLD-3）：像该变体那样悄悄丢弃是不允许的；3.10.7.4 第七和第八步：FIN-WAIT-1 和 "
        "FIN-WAIT-2 中接受数据，FIN 只在 RCV.NXT 处被接受。"),
    "time-wait.title": "为什么要有 TIME-WAIT？为什么是 2MSL？",
    "time-wait.answer": (
        "先关闭的一方无法知道它的最后一个 ACK 是否到达，而且该连接的报文段可能仍在网络中。TIME-WAIT 把连接保留 "
        "2MSL（每个方向一个报文段寿命），以便能再次确认重传的 FIN，并保证下一个使用相同端口的连接化身开始时，"
        "本化身的报文段都已消失。没有 TIME-WAIT（变体 {variant}），探索器在两个序列号重叠的连接化身下（ISN 时钟只前进了 1，"
        "就像连接发送得比时钟走得快，3.4.1）发现：{why}（{steps} 步；"
        "#1 表示第一个化身的报文段，late 表示它在第二个化身开始之后才到达）。"),
    "time-wait.rfc": (
        "3.6.1：“主动关闭连接的一方必须在 TIME-WAIT 状态停留 2xMSL（最大报文段寿命）”（MUST-13）；3.6 图 12 和图 13；"
        "3.4.2 和 3.4.3：早先化身的旧报文段与静默时间；3.10.7.4 第八步：在 TIME-WAIT 中再次收到 FIN 时再次确认，"
        "并重新开始 2MSL 计时。"),
    "isn.title": "为什么初始序列号要随机或由时钟驱动？",
    "isn.answer": (
        "序列号是区分同一端口上前后两个连接化身的依据。如果每个化身都从同一个 ISN 开始（变体 {variant}），"
        "旧化身的报文段就会落入新化身的序列号空间：{why}（{steps} 步）。由时钟驱动、再加上对地址和端口的带密钥哈希的 "
        "ISN，能让新化身的序列号避开旧化身的序列号（也让路径外的攻击者无从猜测）。"),
    "isn.rfc": (
        "3.4.1：“TCP 实现必须使用上述‘时钟’来驱动初始序列号的选择（MUST-8）”，并且应当使用 ISN = M + F(localip, "
        "localport, remoteip, remoteport, secretkey)（SHLD-1），F 不得能从外部计算（MUST-9）；3.4：“必须防止一个连接化身的报文段"
        "在相同序列号可能仍存在于网络中时被用于另一个化身”；3.4.3：静默时间。"),
    "simultaneous.title": "双方同时打开或同时关闭连接会怎样？",
    "simultaneous.answer": (
        "两者都合法。两个 SYN 交叉时，双方都从 SYN-SENT 进入 SYN-RECEIVED 并回复 SYN,ACK：共四个报文段，"
        "没有任何一方处于 LISTEN，最后双方都进入 ESTABLISHED。两个 FIN 交叉时，双方都经 FIN-WAIT-1 -> CLOSING -> "
        "TIME-WAIT，并都等待 2MSL。z3 证明 {checks} 对所有 2^32 个 ISN 覆盖了这些路径：{summary}。"),
    "simultaneous.rfc": (
        "3.5：“TCP 实现必须支持同时打开（MUST-10）”，图 7；3.6 情形 3 和图 13：同时关闭；3.10.7.3：SYN-SENT 中收到 "
        "SYN 进入 SYN-RECEIVED；3.10.7.4 第八步：FIN-WAIT-1 中收到 FIN 进入 CLOSING，其 ACK 到达后进入 TIME-WAIT。"),
    "rst.title": "RST 在每个状态下做什么？为什么盲目的 RST 几乎不会成功？",
    "rst.answer": (
        "只有当 SEG.SEQ 恰好等于 RCV.NXT 时，RST 才会结束一个已同步的连接。窗口内其他位置的 RST 不改变任何东西，"
        "只引出一个挑战 ACK：知道 RCV.NXT 的真正对端随后会发送精确的 RST；窗口外的 RST 被丢弃。在 SYN-SENT 中，"
        "只有确认了 SYN 的 RST 才算数；CLOSED 和 LISTEN 忽略 RST；被动 OPEN 后的 SYN-RECEIVED 回到 LISTEN。"
        "看不到连接的盲攻击者必须猜中 RCV.NXT：2^32 个值中只有 1 个。按 RFC 793 的规则（变体 {variant}），"
        "窗口内 RCV.WND 个值中任何一个都能重置连接，概率为 RCV.WND / 2^32，窗口大时攻击就变得可行：{why}。"),
    "rst.rfc": (
        "3.5.2 和 3.5.3：何时发送 RST，以及“除 SYN-SENT 外的所有状态中，所有 RST 报文段都通过检查其 SEQ 字段来验证”；"
        "3.10.7.4 第二步，对实现了 RFC 5961 3.2 的协议栈：“如果设置了 RST 位且序列号恰好等于下一个期望的序列号（RCV.NXT），"
        "TCP 端点必须重置连接”，否则若在窗口内，“必须发送一个确认（挑战 ACK）”（对没有这一保护的协议栈，RFC 9293 "
        "仍描述了 RFC 793 的处理方式）；3.10.7.3：SYN-SENT；3.10.7.1 和 3.10.7.2：CLOSED 和 LISTEN 忽略 RST。"),
    "syn-ack.title": "为什么对 SYN 的确认号是 ISN+1？",
    "syn-ack.answer": (
        "SYN 占用一个序列号，位于第一个数据字节之前，这样它就能像数据一样被确认和重传。A 的 SYN 携带 SEQ=x（{x}）；"
        "对它的确认是 B 期望的下一个序号 x+1（{x1}）；B 的 SYN,ACK 携带 SEQ=y（{y}），A 对它的确认是 y+1（{y1}）；"
        "A 的第一个数据字节的序号也是 x+1。对 x 本身的确认什么也没有确认，但 RFC 793 的检查 SND.UNA =< SEG.ACK"
        "（变体 {variant}）会把它当作对 SYN 的确认：{why}。"),
    "syn-ack.rfc": (
        "3.4：“就序列号而言，SYN 被视为出现在它所在报文段的第一个实际数据字节之前”；3.3.1：SEG.LEN 计入 SYN 和 FIN；"
        "3.10.7.3：在 SYN-SENT 中，“如果 SEG.ACK =< ISS 或 SEG.ACK > SND.NXT，发送 RST”；3.10.7.4 第五步：SYN-RECEIVED "
        "只有在“SND.UNA < SEG.ACK =< SND.NXT”时才进入 ESTABLISHED（RFC 793 的“=<”，勘误 3300 和 3301）。"),
    "explain.head": "{title}（RFC 9293 {ref}）；模型 {model}，ISS A={a} B={b}",
    "explain.stopped": "explain {name}：模型 {model} 无法继续该场景：{why}",
    "scenario.handshake": "基本的三次握手，然后发送数据",
    "scenario.close": "正常的关闭过程",
    "scenario.simultaneous-open": "同时打开（连接同步）",
    "scenario.simultaneous-close": "同时关闭",
    "scenario.half-close": "半关闭连接：A 调用 CLOSE 后 B 继续发送",
    "scenario.half-open": "A 重启后发现半开连接",
    "scenario.old-duplicate-syn": "从旧的重复 SYN 中恢复",
    "scenario.three-segment-close": "三个报文段完成关闭：B 的 ACK 捎带在它的 FIN 上",
    "scenario.refused": "连接被拒绝：SYN 发往无人监听的端口",
    "live.noroot": "explain --live 需要 root（私有网络命名空间和数据包套接字）：{why}；"
                   "不需要 root 的 `python -m checker explain {name}` 可画出模型的梯形图",
    "live.head": "{title}：Linux 内核自己的报文段，在私有网络命名空间中捕获（A {a} 是客户端，B {b} 是服务器）",
    "live.judged": "conform 按模型 {model} 逐行判定：{verdict}",
    "live.ok": "符合",
    "live.bad": "不是转移表允许的运行",
    "live.after": "未判定（在违规之后）",
}

CATALOGUE = {"en": EN, "zh": ZH}


def tr(lang: str, msg: str, **values) -> str:
    """The message `msg` in `lang`, its {placeholders} filled from `values`."""
    return CATALOGUE[lang][msg].format(**values)
