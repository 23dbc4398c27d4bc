"""Pure core of the collections workbench: no Django, no database.

- ``strategy``: a collection strategy's ordered rules, each worth points when its condition holds on
  a customer's facts; priority = sum of points (as SAP Collections Management does), lowered for
  accounts with an active promise, a payment plan or only disputed overdue items; ties broken by
  the overdue amount. Every point comes with a reason the collector can read.
- ``assignment``: which collector a customer account goes to, by ordered rules on entity, language,
  segment, country and size.
- ``promises``: judging promises to pay from the cash allocated to their items (over
  ``incasso.core.kpi.judge_promise``) and the promise level.
- ``plans``: payment plan schedules (dates by frequency, amounts split once at the minor unit with
  the remainder on the last instalment) and judging instalments from the cash on the covered items.
"""
