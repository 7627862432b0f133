"""The real-time resources (realtime.md §2): who is online now, what the queues hold now.

A request is answered in four steps, the same for every store:

1. `ccstats.realtime.options` reads the options into a `UsersQuery` or `QueuesQuery`;
2. `ccstats.realtime.clock` fixes the request's `Moment`: the server's clock `now`
   (taken once), the start before which an open interval is stale, and the
   customer's local date of `now` as UTC epoch seconds;
3. the store hands over the live events since `Moment.since`
   (`ccstats.store.base.Store.live_events`), and `ccstats.realtime.sql` computes the
   records from them in process (online users with Arrow kernels, queues with one
   DuckDB statement);
4. `ccstats.realtime.render` writes the records as JSON, csv or tab.

`ccstats.realtime.answers` ties the steps together.
"""
