"""Dispute and deduction management: cases, reason and root-cause codes, resolvers, deadlines."""
