"""Importers: logs written by other systems, turned into ccstats events."""
