"""Stored report inputs and outputs: exchange rates for reporting currencies, aging snapshots, cash
targets, archived packs and their schedules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class ExchangeRate(models.Model):
    """How many units of ``reporting_currency`` one unit of ``currency`` was worth on ``rate_date``.

    Reports in a reporting currency (a group-wide aging in EUR over RON, GBP and EUR books) take, per
    currency, the latest rate on or before the report's as-of date.
    """

    rate_date = models.DateField(_("rate date"))
    currency = models.CharField(_("currency"), max_length=3)
    reporting_currency = models.CharField(_("reporting currency"), max_length=3)
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=8)

    class Meta:
        ordering = ["reporting_currency", "currency", "-rate_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["rate_date", "currency", "reporting_currency"], name="exchange_rate_unique_per_day",
                violation_error_message=_("There is already a rate for this currency pair on this date."),
            ),
            models.CheckConstraint(
                condition=Q(rate__gt=0), name="exchange_rate_positive",
                violation_error_message=_("An exchange rate must be positive."),
            ),
        ]
        indexes = [
            models.Index(fields=["reporting_currency", "currency", "rate_date"], name="exchange_rate_lookup_idx")
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} {self.reporting_currency} on {self.rate_date}"


def rates_on(on_date: date, reporting_currency: str) -> dict[str, Decimal]:
    """Per currency, the latest stored rate to ``reporting_currency`` on or before ``on_date``; the
    reporting currency itself is always 1."""
    rates: dict[str, Decimal] = {reporting_currency: Decimal(1)}
    latest = (
        ExchangeRate.objects.filter(reporting_currency=reporting_currency, rate_date__lte=on_date)
        .order_by("currency", "-rate_date")
        .values_list("currency", "rate")
    )
    for currency, rate in latest:
        rates.setdefault(currency, rate)
    return rates


class AgingSnapshot(models.Model):
    """The aging as it stood when the daily cycle took it: totals per entity, currency and bucket.

    A snapshot is never recomputed: it is the figure that was reported that day, kept so that trend
    charts and month-end packs show what the team saw, even after backdated ERP clearings.
    """

    as_of = models.DateField(_("as of"), help_text="the latest of the entities' as-of dates")
    as_of_by_entity = models.JSONField(_("as-of date per entity"), default=dict)
    taken_at = models.DateTimeField(_("taken at"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    taken_by_label = models.CharField(max_length=150, help_text="user name, or the job that took it")
    group_by = models.CharField(_("grouped by"), max_length=12, default="entity")
    basis = models.CharField(_("basis"), max_length=16, default="due_date")
    bucket_spec = models.CharField(_("buckets"), max_length=200)

    class Meta:
        ordering = ["-as_of", "-taken_at"]
        indexes = [models.Index(fields=["as_of"], name="aging_snapshot_as_of_idx")]

    def __str__(self) -> str:
        return f"aging as of {self.as_of} ({self.basis}, {self.bucket_spec})"


class AgingSnapshotLine(models.Model):
    """One cell of a snapshot: the signed open amount of one entity, currency and bucket."""

    snapshot = models.ForeignKey(AgingSnapshot, on_delete=models.CASCADE, related_name="lines")
    entity = models.ForeignKey("ledger.LegalEntity", on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(_("currency"), max_length=3)
    bucket_index = models.PositiveSmallIntegerField()
    bucket_label = models.CharField(max_length=20)
    amount = models.DecimalField(_("amount"), max_digits=18, decimal_places=2)

    class Meta:
        ordering = ["snapshot", "entity", "currency", "bucket_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["snapshot", "entity", "currency", "bucket_index"], name="aging_snapshot_line_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.bucket_label} {self.amount} {self.currency}"


class ReportArchive(models.Model):
    """A generated report pack as it was handed out: its parameters, its control checks and, per
    file, a SHA-256 checksum, so that anyone can later prove which figures were sent on which day."""

    pack = models.CharField(_("pack"), max_length=12)
    as_of = models.DateField(_("as of"))
    period_start = models.DateField(_("period start"))
    params = models.JSONField(_("parameters"), default=dict)
    checks = models.JSONField(_("control checks"), default=list)
    checks_passed = models.BooleanField(_("controls passed"))
    directory = models.CharField(_("directory"), max_length=500)
    files = models.JSONField(default=list, help_text='[{"name", "sha256", "size"}, ...]')
    created_at = models.DateTimeField(_("created at"))
    created_by_label = models.CharField(max_length=150, help_text="user name, or the job that ran it")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["pack", "as_of"], name="report_archive_pack_idx")]

    def __str__(self) -> str:
        return f"{self.pack} pack as of {self.as_of}"


class ReportSchedule(models.Model):
    """A pack to run on a cron schedule and e-mail (XLSX and PDF attached) to its subscribers.

    ``cron`` is a five-field cron expression (croniter) evaluated in UTC; ``last_run_at`` is when
    the scheduler last ran it, so a missed run is caught up once rather than repeated.
    """

    pack = models.CharField(_("pack"), max_length=12)
    cron = models.CharField(_("cron expression"), max_length=100)
    subscribers = models.TextField(_("subscribers"), help_text="e-mail addresses, one per line or comma-separated")
    entity_codes = models.JSONField(_("entities"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en",
                                help_text="the language of the pack's titles and the e-mail")
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"))
    last_run_at = models.DateTimeField(_("last run at"), null=True, blank=True)
    last_archive = models.ForeignKey(ReportArchive, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["pack", "id"]

    def __str__(self) -> str:
        return f"{self.pack} pack at '{self.cron}'"

    def subscriber_list(self) -> list[str]:
        return [a.strip() for a in self.subscribers.replace("\n", ",").split(",") if a.strip()]


class CashTarget(models.Model):
    """Cash to collect in one calendar month for one entity and currency; with ``collector`` set, that
    collector's share of it (their portfolio's payments), else the entity's. Set by team leaders on the
    targets page (``incasso.reports.targets.set_cash_target``, audited); the KPIs compare the cash
    received in a period with the targets of its months (``incasso.core.kpi.cash_against_target``)."""

    entity = models.ForeignKey("ledger.LegalEntity", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("entity"))
    currency = models.CharField(_("currency"), max_length=3)
    month = models.DateField(_("month"), help_text="the first day of the month")
    collector = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("collector"))
    amount = models.DecimalField(_("target"), max_digits=18, decimal_places=2)
    updated_at = models.DateTimeField(_("updated at"))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["-month", "entity", "currency", "collector"]
        constraints = [
            models.UniqueConstraint(fields=["entity", "currency", "month"], condition=Q(collector__isnull=True),
                                    name="cash_target_once_per_entity_month"),
            models.UniqueConstraint(fields=["entity", "currency", "month", "collector"],
                                    condition=Q(collector__isnull=False), name="cash_target_once_per_collector_month"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="cash_target_not_negative",
                                   violation_error_message=_("A target cannot be negative.")),
        ]
        indexes = [models.Index(fields=["month", "entity"], name="cash_target_month_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.amount} {self.currency}"
