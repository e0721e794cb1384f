"""Streams: items steps write, pushed live to WebSocket subscribers (spec §7)."""
