"""Dunning: procedures and levels, runs with review and approval, letters sent exactly once."""
