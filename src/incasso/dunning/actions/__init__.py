"""Dunning verbs: seed and edit procedures, propose a run, review it, approve it, send it."""
