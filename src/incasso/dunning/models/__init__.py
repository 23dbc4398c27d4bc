from incasso.dunning.models.procedures import LetterTemplate, Level, Procedure
from incasso.dunning.models.runs import ItemLevel, Letter, LetterLine, Run, RunException

__all__ = ["ItemLevel", "Letter", "LetterLine", "LetterTemplate", "Level", "Procedure", "Run", "RunException"]
