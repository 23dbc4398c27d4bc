"""The pure computation core of Incasso.

Nothing in this package imports Django or any Incasso app (import-linter checks it). Functions take
plain values, frozen dataclasses or iterables of them, the as-of date as a parameter, and return
results and errors as values. The ORM layer loads inputs and saves outputs; web, API and CLI all
answer through the same functions.
"""
