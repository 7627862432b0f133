"""One statistics pipeline for every store.

A request goes through the same steps whatever the store:

1. `ccstats.query` validates the options into a `StatsQuery`;
2. `ccstats.pipeline.parts` cuts it into consecutive parts (a part's answer is held
   by the database at a time);
3. `ccstats.pipeline.plan` turns each part into a `Plan`: which sums table, which
   rows, how rows map to local dates and slots, what is grouped, as data, guided by
   the `ccstats.pipeline.resource` description of the answer;
4. `ccstats.pipeline.sql` writes the plan as one statement in a store's
   `ccstats.pipeline.dialect`;
5. the store runs it (`ccstats.pipeline.source.CellSource`, the only part a store
   writes) and hands back ordered *cells*, one row per (record, field), as Arrow
   batches;
6. `ccstats.pipeline.render` turns the cells into the answer's json/csv/tab bytes.

`ccstats.pipeline.records` ties the steps together.
"""
