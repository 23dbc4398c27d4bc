"""Reports: aging as of any date (and, as they land, the KPIs and report packs).

The database does the set-based work (one grouped query, no row-by-row replay); the pure core in
``incasso.core.aging`` defines the rules and is the reference the query is tested against.
"""
