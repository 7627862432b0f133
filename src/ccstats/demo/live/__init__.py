"""The demo's live shift: what the wallboard shows while `make run` serves.

While ``ccstats demo`` serves, a background thread (`shift.LiveShift`) plays a
small contact centre in real time and posts what happens, every few seconds, as
one NDJSON batch to ``POST /v2/events`` of the running server with the demo's key:

* `roster`: who works and where: agents of the demo customer (same user and project
  ids, so the names match) and the queues of their projects, with arrival rates;
* `pace`: how long things last (rings, talks, after-call work, breaks, callers'
  patience), drawn from one seeded generator;
* `records`: the events as the API takes them; an interval still going on is sent
  with ``"end": null`` and sent again, same id, when it ends (realtime.md §1);
* `floor`: the simulation: agents change state, callers arrive, wait, ring an agent,
  are answered or hang up; it is played event by event in time order, so what
  happens depends only on the seed and the start time, not on when it is looked at;
* `poster`: the batches over HTTP; a batch that fails is kept and sent with the next;
* `shift`: the thread, from the server's first answer to its shutdown, when every
  interval still open is closed; `leftovers` drops those a killed run left open.
"""
