"""Seed the dispute catalogues: resolver departments, reason codes and root-cause codes.

Labels are stored per language in the rows (see ``models/catalogues.py`` for why not gettext); an
administrator edits or extends them in the admin. Re-running changes nothing already edited: rows
are created only when their code is missing.
"""

from django.db import migrations

LANGS = ("en", "fr", "es", "de", "it", "ro", "pt")


def _labels(*texts: str) -> dict[str, str]:
    return dict(zip(LANGS, texts, strict=True))


DEPARTMENTS = [
    ("sales", 10, _labels("Sales", "Ventes", "Ventas", "Vertrieb", "Vendite", "Vânzări", "Vendas")),
    ("logistics", 20, _labels("Logistics", "Logistique", "Logística", "Logistik", "Logistica", "Logistică",
                              "Logística")),
    ("billing", 30, _labels("Billing", "Facturation", "Facturación", "Fakturierung", "Fatturazione", "Facturare",
                            "Faturação")),
    ("customer_service", 40, _labels("Customer service", "Service client", "Atención al cliente", "Kundenservice",
                                     "Servizio clienti", "Serviciul clienți", "Apoio ao cliente")),
    ("quality", 50, _labels("Quality", "Qualité", "Calidad", "Qualität", "Qualità", "Calitate", "Qualidade")),
    ("accounts_receivable", 60, _labels("Accounts receivable", "Comptabilité clients", "Cuentas por cobrar",
                                        "Debitorenbuchhaltung", "Contabilità clienti", "Creanțe clienți",
                                        "Contas a receber")),
]

# code, default department, target business days, labels
REASONS = [
    ("pricing", "sales", 10, _labels("Pricing", "Prix", "Precio", "Preis", "Prezzo", "Preț", "Preço")),
    ("quantity", "logistics", 10, _labels("Quantity", "Quantité", "Cantidad", "Menge", "Quantità", "Cantitate",
                                          "Quantidade")),
    ("damaged", "quality", 15, _labels("Damaged or defective goods", "Marchandise endommagée ou défectueuse",
                                       "Mercancía dañada o defectuosa", "Beschädigte oder mangelhafte Ware",
                                       "Merce danneggiata o difettosa", "Marfă deteriorată sau defectă",
                                       "Mercadoria danificada ou defeituosa")),
    ("not_delivered", "logistics", 10, _labels("Not delivered / proof of delivery", "Non livré / preuve de livraison",
                                               "No entregado / prueba de entrega",
                                               "Nicht geliefert / Liefernachweis",
                                               "Non consegnato / prova di consegna", "Nelivrat / dovada livrării",
                                               "Não entregue / comprovativo de entrega")),
    ("duplicate_billing", "billing", 5, _labels("Duplicate billing", "Double facturation", "Facturación duplicada",
                                                "Doppelte Rechnung", "Doppia fatturazione", "Facturare dublă",
                                                "Faturação duplicada")),
    ("wrong_customer", "billing", 5, _labels("Wrong customer or address", "Mauvais client ou adresse",
                                             "Cliente o dirección incorrectos", "Falscher Kunde oder Adresse",
                                             "Cliente o indirizzo errato", "Client sau adresă greșită",
                                             "Cliente ou morada errados")),
    ("tax_error", "billing", 5, _labels("Tax / VAT error", "Erreur de TVA", "Error de IVA", "Steuer-/MwSt.-Fehler",
                                        "Errore IVA", "Eroare TVA", "Erro de IVA")),
    ("missing_po", "customer_service", 5, _labels("Missing purchase order", "Bon de commande manquant",
                                                  "Falta el pedido de compra", "Bestellnummer fehlt",
                                                  "Ordine d'acquisto mancante", "Comandă de achiziție lipsă",
                                                  "Nota de encomenda em falta")),
    ("contract_terms", "sales", 15, _labels("Contract terms", "Conditions contractuelles", "Condiciones del contrato",
                                            "Vertragsbedingungen", "Condizioni contrattuali", "Condiții contractuale",
                                            "Condições contratuais")),
    ("returns", "logistics", 15, _labels("Returns", "Retours", "Devoluciones", "Retouren", "Resi", "Retururi",
                                         "Devoluções")),
    ("promotion", "sales", 20, _labels("Promotion or rebate deduction", "Déduction promotion ou remise",
                                       "Deducción por promoción o rappel", "Abzug für Aktion oder Bonus",
                                       "Detrazione promozione o premio", "Deducere promoție sau rabat",
                                       "Dedução de promoção ou rappel")),
    ("already_paid", "accounts_receivable", 5, _labels("Already paid", "Déjà payé", "Ya pagado", "Bereits bezahlt",
                                                       "Già pagato", "Deja plătit", "Já pago")),
    ("other", "customer_service", 10, _labels("Other", "Autre", "Otro", "Sonstiges", "Altro", "Altele", "Outro")),
]

ROOT_CAUSES = [
    ("pricing_master_data", _labels("Pricing master data", "Données de base prix", "Datos maestros de precios",
                                    "Preisstammdaten", "Anagrafica prezzi", "Date de bază prețuri",
                                    "Dados mestre de preços")),
    ("order_entry", _labels("Order entry error", "Erreur de saisie de commande", "Error en la entrada del pedido",
                            "Fehler bei der Auftragserfassung", "Errore di inserimento ordine",
                            "Eroare la introducerea comenzii", "Erro na introdução da encomenda")),
    ("shipping", _labels("Shipping error", "Erreur d'expédition", "Error de envío", "Versandfehler",
                         "Errore di spedizione", "Eroare de expediere", "Erro de expedição")),
    ("quality", _labels("Quality", "Qualité", "Calidad", "Qualität", "Qualità", "Calitate", "Qualidade")),
    ("billing_process", _labels("Billing process", "Processus de facturation", "Proceso de facturación",
                                "Fakturierungsprozess", "Processo di fatturazione", "Proces de facturare",
                                "Processo de faturação")),
    ("customer_process", _labels("Customer process", "Processus du client", "Proceso del cliente",
                                 "Prozess des Kunden", "Processo del cliente", "Procesul clientului",
                                 "Processo do cliente")),
    ("contract_master_data", _labels("Contract master data", "Données contractuelles", "Datos maestros del contrato",
                                     "Vertragsstammdaten", "Anagrafica contratti", "Date de bază contract",
                                     "Dados mestre do contrato")),
    ("cash_application", _labels("Cash application", "Lettrage des encaissements", "Aplicación de cobros",
                                 "Zahlungszuordnung", "Abbinamento incassi", "Alocarea încasărilor",
                                 "Aplicação de recebimentos")),
    ("no_error", _labels("No error on our side", "Aucune erreur de notre part", "Sin error por nuestra parte",
                         "Kein Fehler unsererseits", "Nessun errore da parte nostra", "Nicio eroare din partea noastră",
                         "Sem erro da nossa parte")),
    ("other", _labels("Other", "Autre", "Otro", "Sonstiges", "Altro", "Altele", "Outro")),
]


def seed(apps, schema_editor):
    Department = apps.get_model("disputes", "ResolverDepartment")
    Reason = apps.get_model("disputes", "ReasonCode")
    RootCause = apps.get_model("disputes", "RootCauseCode")
    departments = {}
    for code, order, labels in DEPARTMENTS:
        departments[code], _ = Department.objects.get_or_create(
            code=code, defaults={"labels": labels, "sort_order": order})
    for order, (code, department, days, labels) in enumerate(REASONS, start=1):
        Reason.objects.get_or_create(code=code, defaults={
            "labels": labels, "sort_order": order * 10, "default_department": departments[department],
            "target_business_days": days})
    for order, (code, labels) in enumerate(ROOT_CAUSES, start=1):
        RootCause.objects.get_or_create(code=code, defaults={"labels": labels, "sort_order": order * 10})


class Migration(migrations.Migration):
    dependencies = [("disputes", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
