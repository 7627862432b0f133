"""Asterisk ``queue_log`` → ccstats events (see docs/asterisk.md for the mapping).

- `records`: the raw pipe-separated file and the PBXware table dump → `Record`s.
- `log_events`: the events derived, their deterministic ids, cutting at midnight.
- `names`: queue and member names → display names, and the stored mapping to ids.
- `calls`: rings, answered and outbound calls paired from their lines.
- `sessions`: login sessions, pauses and the available time between calls.
- `queue_calls`: a caller's stay in a queue, ENTERQUEUE to its end (``queuecall``).
- `convert`: all of it → events with ids derived from the log.
- `tail`: the lines appended to a followed file, across rotations.
- `importer`: one import or `--follow` through `Service.ingest`; a follower also
  stores what goes on as open events (``end`` null) under the ids of their ended
  versions.
"""
