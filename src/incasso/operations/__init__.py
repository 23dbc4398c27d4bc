"""Operations: the daily cycle that runs every step of the AR day in order.

``incasso cycle daily --inbox DIR --as-of D`` is what a scheduler (cron, systemd timer) calls each
morning: ERP extracts in, the entities' bank accounts, bank statements (standard formats from
``bank/``, CSV/XLSX exports from ``bank_csv/<mapping name>/`` read with that saved column mapping),
remittance advices from ``remittance/`` (linked to their bank lines before matching), cash application, promises
and payment plan instalments judged, disputes escalated, dunning proposed, worklists built, the
aging snapshot taken. Each step is the app's own command or action; this package only orders them
and reports.
"""
