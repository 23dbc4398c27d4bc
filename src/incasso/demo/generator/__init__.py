"""The deterministic demo and benchmark data generator (pure: no Django, import-linter checks it).

It writes the ERP extracts Incasso imports (entities, customers, contacts, items as CSV), the demo's
users, and a ground-truth file of each customer's payment behaviour for prediction work.

* ``profiles``: what to generate (``demo``, ``large``, and ``Profile.scaled`` for tests).
* ``catalog``: the fictional client group, its shared-service centre, per-country names and customs.
* ``behaviours``: how customers pay (prompt ... insolvent), as distributions.
* ``identifiers``: VAT ids and IBANs with valid check digits.
* ``customers``: the plan (exact item quotas) and the account records and contacts.
* ``items``: open items placed by behaviour, and the paid history.
* ``writer``: one streaming pass writing every file; same seed, same bytes.
"""

from incasso.demo.generator.profiles import PROFILES, Profile
from incasso.demo.generator.writer import FILES, GenerationResult, generate

__all__ = ["FILES", "PROFILES", "GenerationResult", "Profile", "generate"]
