from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render

from incasso.jobs.models import JobRun


def detail(request: Any, pk: int) -> HttpResponse:
    # Jobs sit below accounts in the layers: "has a role" is read as "belongs to a group" here.
    if not (request.user.is_superuser or request.user.groups.exists()):
        raise PermissionDenied
    job = get_object_or_404(JobRun, pk=pk)
    template = "jobs/_progress.html" if request.headers.get("HX-Request") else "jobs/detail.html"
    return render(request, template, {"job": job})
