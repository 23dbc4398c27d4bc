"""Cash application matching (pure core): which customer paid, which open items a bank line pays,
how sure we are, and a reason a person can read.

``MatchingIndex.build(customers, items)`` indexes one ledger snapshot; ``match_line(line, index,
settings, as_of)`` returns a ``Proposal`` for one credit line. The stages and the confidence
calibration are described in ``engine`` and docs/cash-application.md. No Django, no database: the
cash application app loads the refs, calls ``match_line`` and saves what it returns.
"""

from incasso.core.matching.engine import CONFIDENCE, match_line
from incasso.core.matching.index import MatchingIndex
from incasso.core.matching.model import (
    BankLineRef,
    CustomerRef,
    MatchSettings,
    OpenItemRef,
    Proposal,
    ProposedAllocation,
)

__all__ = ["CONFIDENCE", "BankLineRef", "CustomerRef", "MatchSettings", "MatchingIndex", "OpenItemRef",
           "Proposal", "ProposedAllocation", "match_line"]
