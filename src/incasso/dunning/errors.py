from django.db import models


class DunningErrorCode(models.TextChoices):
    """Stable error codes the CLI, API and screens show as they are."""

    RUN_NOT_FOUND = "run_not_found"
    WRONG_STATUS = "wrong_status"
    NOT_ALLOWED = "not_allowed"
    FOUR_EYES = "four_eyes"
    REASON_REQUIRED = "reason_required"
    BAD_LEVEL = "bad_level"
    BAD_TEMPLATE = "bad_template"
    UNKNOWN_ENTITY = "unknown_entity"


class DunningError(Exception):
    def __init__(self, code: DunningErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"
