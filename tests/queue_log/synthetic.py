"""A small queue_log covering logins, pauses, transfers and a call cut off mid-call.

T is 2024-01-01T10:00:00Z. Expected figures (worked out by hand, in seconds after T):

Agent/1001 (user "1001"), logged in by AGENTLOGIN (no queue) from 0 to 800:
  missed call ringing 108-110 (2500 ms → 2 s); call c1 rings 113-118 (CONNECT's
  ring time 5), talks 118-178 (calltime 60); break 200-300 (PAUSEALL/UNPAUSEALL);
  call c3 in queue support rings 496-500, talks 500-540, ended by ATTENDEDTRANSFER.
  available = 0-108, 110-113, 178-200, 300-496, 540-800: 5 times, 589 s.
SIP/1002 (user "1002"), member of sales (ADDMEMBER) from 0 to 900:
  call c2 (Asterisk 1.4 CONNECT without ring time) 400-430, ended by TRANSFER;
  break 600-700 (PAUSE/UNPAUSE in sales). available 0-400, 430-600, 700-900: 3, 770 s.
Agent/1003: connected at 950 (ring time 3), its end is not in the log.
Also: one unknown event (FUTUREEVENT), one line that is no queue_log line, no final newline.
"""

from __future__ import annotations

T = 1_704_103_200

LINES = [
    f"{T}|NONE|NONE|Agent/1001|AGENTLOGIN|SIP/1001-00000001",
    f"{T}|MANAGER|sales|SIP/1002|ADDMEMBER|",
    f"{T + 100}|c1|sales|NONE|ENTERQUEUE||0555123|1",
    f"{T + 110}|c1|sales|Agent/1001|RINGNOANSWER|2500",
    f"{T + 118}|c1|sales|Agent/1001|CONNECT|18|c1.2|5",
    f"{T + 178}|c1|sales|Agent/1001|COMPLETECALLER|18|60|1",
    f"{T + 200}|NONE|NONE|Agent/1001|PAUSEALL|",
    f"{T + 300}|NONE|NONE|Agent/1001|UNPAUSEALL|",
    f"{T + 397}|c2|sales|NONE|ENTERQUEUE||0555124",
    f"{T + 400}|c2|sales|SIP/1002|CONNECT|3|c2.1",
    f"{T + 430}|c2|sales|SIP/1002|TRANSFER|2100|from-internal|3|30",
    f"{T + 498}|c3|support|NONE|ENTERQUEUE||0555125|1",
    f"{T + 500}|c3|support|Agent/1001|CONNECT|2|c3.1|4",
    f"{T + 540}|c3|support|Agent/1001|ATTENDEDTRANSFER|BRIDGE|b-1|2|40|1",
    f"{T + 600}|NONE|sales|SIP/1002|PAUSE|Lunch",
    f"{T + 700}|NONE|sales|SIP/1002|UNPAUSE|",
    f"{T + 800}|NONE|NONE|Agent/1001|AGENTLOGOFF|SIP/1001-00000001|800",
    f"{T + 900}|MANAGER|sales|SIP/1002|REMOVEMEMBER|",
    f"{T + 940}|c5|sales|NONE|ENTERQUEUE||0555126|1",
    f"{T + 950}|c5|sales|Agent/1003|CONNECT|10|c5.1|3",
    f"{T + 960}|c5|sales|NONE|FUTUREEVENT|x|y",
    "this is no queue_log line",
]
#: The line that ends Agent/1003's call when the log grows: calltime 50 → 950-1000.
ENDING = f"{T + 1000}|c5|sales|Agent/1003|COMPLETEAGENT|10|50|1"


def text(lines: list[str], final_newline: bool = False) -> str:
    return "\n".join(lines) + ("\n" if final_newline else "")
