"""A realistic, fast, deterministic generator of contact-centre events (NDJSON).

Used for the demo customer (`ccstats.demo.customer`), for tests and for benchmarks.
The output follows events-and-kpis.md §1 and is fully valid: every line is one JSON
object.

*Agents* (user ids ``1..agents``) each belong to one or two *projects* (ids
``1..projects``; agent ``u``'s primary project is ``(u - 1) % projects + 1``).
Project ``projects`` is inbound-only; the others are mixed (mostly outbound). Each
working day an agent has one shift (`schedule`) of back-to-back work cycles
(`cycles`: waits, calls, after-call work, now and then unavailable) with three
breaks between them, a few e-mails, tickets and chats (`extras`); *system users*
(user ids ``agents + 1 ..``) add automated dispositions and e-mails around the
clock (`system_users`). `render` writes the events as lines with unique,
deterministic ids, and `output` assembles the days.

On request, each day also has its *queue calls* (`queue_calls`, written by
`queue_render`): one for each answered inbound leg, and abandoned ones, in a few
`queues` per project, with waits that grow with the queues' `load`.

The output is identical for the same arguments and ``seed``; each day depends only
on ``(seed, date)`` and the agents' profiles, so a longer range extends a shorter
one. Everything is vectorised with numpy and the JSON text is assembled with pyarrow
string kernels.
"""

from ccstats.demo.output import generate, write_file

__all__ = ["generate", "write_file"]
