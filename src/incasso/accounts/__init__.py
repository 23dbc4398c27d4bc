"""Users, roles and who may do what.

Roles are Django groups (collector, senior collector, team leader, dispute resolver, cash
application, risk approver, controller, admin); object rules (``rules``) add "a collector sees
their own portfolio" and "a controller reads everything and changes nothing". Views ask
``request.user.has_perm("ledger.view_customer", customer)``; nothing checks group names directly.
"""
