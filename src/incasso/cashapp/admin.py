from django.contrib import admin

from incasso.cashapp.models import BankAccountStatement, BankFile, BankFileMapping, CashSettings


@admin.register(CashSettings)
class CashSettingsAdmin(admin.ModelAdmin):
    list_display = ("entity", "auto_threshold", "amount_tolerance", "tolerance_percent", "cash_discount_percent")


@admin.register(BankFile)
class BankFileAdmin(admin.ModelAdmin):
    list_display = ("file_name", "sha256", "imported_by", "imported_at")
    readonly_fields = [f.name for f in BankFile._meta.fields]


@admin.register(BankAccountStatement)
class BankAccountStatementAdmin(admin.ModelAdmin):
    list_display = ("account", "statement_id", "entity", "closing_date", "balance_ok", "line_count")
    readonly_fields = [f.name for f in BankAccountStatement._meta.fields]


@admin.register(BankFileMapping)
class BankFileMappingAdmin(admin.ModelAdmin):
    list_display = ("name", "bank_account", "sign_convention", "date_format", "decimal_separator", "updated_at")
    readonly_fields = ("updated_by", "updated_at")
