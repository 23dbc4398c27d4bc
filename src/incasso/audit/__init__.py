"""The audit trail: an append-only table of typed events written by the action functions.

Every state change an auditor cares about (an import, an allocation and its reversal, a flag set on
a customer) is one ``AuditEvent`` row: who, when, what, on which subject, with the state before and
after. Events are never updated or deleted; the same rows feed the customer timeline.
"""
