from incasso.disputes.models.cases import CaseAttachment, DisputeCase, DisputeLine, Settlement, WriteOffProposal
from incasso.disputes.models.catalogues import ReasonCode, ResolverDepartment, RootCauseCode

__all__ = [
    "CaseAttachment",
    "DisputeCase",
    "DisputeLine",
    "ReasonCode",
    "ResolverDepartment",
    "RootCauseCode",
    "Settlement",
    "WriteOffProposal",
]
