"""Profile: Linux with net.ipv4.tcp_rfc1337=1 (RFC 1337's fix for TIME-WAIT
assassination): the `linux` profile, except that a RST in TIME-WAIT is
ignored instead of ending it (RFC 9293 3.10.7.4 second: "If the RST bit is
set, then enter the CLOSED state"). Evidence: packetdrill rst-time-wait
fails under this profile's sysctl with the linux rows (the probe is answered
by TIME-WAIT's ACK) and passes with these.
Expected: `verify` fails handshake-ack, as the `linux` profile does.
"""

from model.rows import changed
from model.variants.linux import ROWS as LINUX
from model.variants.linux import SYSCTLS as LINUX_SYSCTLS

SYSCTLS = {**LINUX_SYSCTLS, "net.ipv4.tcp_rfc1337": "1"}

ROWS = changed(LINUX, "rst-close@TIME-WAIT", goto=None,
               ref="linux tcp_rfc1337=1: tcp_timewait_state_process ignores a RST at RCV.NXT "
                   "(RFC 1337; 3.10.7.4 second: enter CLOSED)")
