"""The built-in letter texts: for each language, the polite first reminder, the firm second one and
the formal notice, in the register of a credit department, plus the fixed labels of the layout.

Texts are Jinja2 in a sandbox (see ``render.py``); variables are plain strings already formatted
for the language: ``customer``, ``entity``, ``total``, ``deadline``, ``reference``, ``iban``,
``interest_total``, ``compensation_total``, ``fee``, ``legal_basis``, ``contact``.
An administrator's :class:`~incasso.dunning.models.LetterTemplate` replaces subject and body.
"""

from __future__ import annotations

SUBJECTS = {
    "en": {"polite": "Payment reminder – {{ customer }}", "firm": "Second reminder: overdue invoices – {{ customer }}",
           "formal": "Formal notice of default – {{ customer }}"},
    "fr": {"polite": "Rappel de paiement – {{ customer }}",
           "firm": "Deuxième relance : factures échues – {{ customer }}",
           "formal": "Mise en demeure – {{ customer }}"},
    "es": {"polite": "Recordatorio de pago – {{ customer }}",
           "firm": "Segundo aviso: facturas vencidas – {{ customer }}",
           "formal": "Requerimiento formal de pago – {{ customer }}"},
    "de": {"polite": "Zahlungserinnerung – {{ customer }}",
           "firm": "2. Mahnung: überfällige Rechnungen – {{ customer }}",
           "formal": "Letzte Mahnung mit Fristsetzung – {{ customer }}"},
    "it": {"polite": "Promemoria di pagamento – {{ customer }}",
           "firm": "Secondo sollecito: fatture scadute – {{ customer }}",
           "formal": "Diffida e messa in mora – {{ customer }}"},
    "ro": {"polite": "Reamintire de plată – {{ customer }}",
           "firm": "A doua notificare: facturi restante – {{ customer }}",
           "formal": "Notificare de punere în întârziere – {{ customer }}"},
    "pt": {"polite": "Lembrete de pagamento – {{ customer }}",
           "firm": "Segundo aviso: faturas vencidas – {{ customer }}",
           "formal": "Interpelação formal para pagamento – {{ customer }}"},
}

BODIES = {
    "en": {
        "polite": """<p>Dear {{ contact }},</p>
<p>According to our records, the invoices listed below are now past their due date. This may simply
have been overlooked, so we would be grateful if you could arrange payment of <strong>{{ total }}</strong>
by {{ deadline }}.</p>
<p>If you have already paid, please disregard this reminder. Should you have any question about these
invoices, do not hesitate to contact us.</p>""",
        "firm": """<p>Dear {{ contact }},</p>
<p>Despite our earlier reminder, the invoices listed below remain unpaid. We ask you to pay the overdue
balance of <strong>{{ total }}</strong> no later than {{ deadline }}.</p>
<p>If there is a reason preventing payment, please let us know immediately so that we can resolve it
together. Without payment or a reply from you, we will have to take further steps.</p>""",
        "formal": """<p>Dear {{ contact }},</p>
<p>Notwithstanding our previous reminders, the invoices listed below are still unpaid. We hereby formally
demand payment of <strong>{{ total }}</strong> by {{ deadline }} at the latest.</p>
<p>Under {{ legal_basis }}, statutory interest for late payment of {{ interest_total }} and a fixed
compensation for recovery costs of {{ compensation_total }} are due in addition to the principal.</p>
<p>Should payment not reach us by that date, we will hand the matter over for legal recovery without
further notice, at your expense.</p>""",
    },
    "fr": {
        "polite": """<p>Madame, Monsieur,</p>
<p>Sauf erreur ou omission de notre part, les factures ci-dessous restent impayées à ce jour. Il s'agit
probablement d'un simple oubli ; nous vous remercions de bien vouloir procéder au règlement de
<strong>{{ total }}</strong> avant le {{ deadline }}.</p>
<p>Si votre paiement nous est parvenu entre-temps, nous vous prions de ne pas tenir compte de ce rappel.
Nous restons à votre disposition pour toute question.</p>""",
        "firm": """<p>Madame, Monsieur,</p>
<p>Malgré notre précédent rappel, les factures ci-dessous demeurent impayées. Nous vous demandons de
régler le solde échu de <strong>{{ total }}</strong> au plus tard le {{ deadline }}.</p>
<p>Si un motif s'oppose au paiement, merci de nous en informer sans délai afin que nous puissions le
traiter. À défaut de règlement ou de réponse, nous serons contraints d'engager d'autres démarches.</p>""",
        "formal": """<p>Madame, Monsieur,</p>
<p>En dépit de nos relances, les factures ci-dessous restent impayées. Par la présente, nous vous mettons
en demeure de nous régler la somme de <strong>{{ total }}</strong> au plus tard le {{ deadline }}.</p>
<p>Conformément à {{ legal_basis }}, des pénalités de retard de {{ interest_total }} ainsi que l'indemnité
forfaitaire pour frais de recouvrement de {{ compensation_total }} sont exigibles en sus du principal.</p>
<p>À défaut de paiement dans ce délai, nous transmettrons le dossier au recouvrement contentieux sans
autre avis, à vos frais.</p>""",
    },
    "es": {
        "polite": """<p>Estimado/a {{ contact }}:</p>
<p>Según nuestros registros, las facturas que se detallan a continuación han superado su fecha de
vencimiento. Entendemos que puede tratarse de un descuido, por lo que le agradeceríamos que abonara el
importe de <strong>{{ total }}</strong> antes del {{ deadline }}.</p>
<p>Si ya ha efectuado el pago, le rogamos que no tenga en cuenta este recordatorio. Quedamos a su
disposición para cualquier consulta.</p>""",
        "firm": """<p>Estimado/a {{ contact }}:</p>
<p>Pese a nuestro recordatorio anterior, las facturas detalladas a continuación siguen pendientes de pago.
Le solicitamos que abone el saldo vencido de <strong>{{ total }}</strong> a más tardar el {{ deadline }}.</p>
<p>Si existe algún motivo que impida el pago, le rogamos nos lo comunique de inmediato. De no recibir el
pago ni respuesta, nos veremos obligados a adoptar otras medidas.</p>""",
        "formal": """<p>Estimado/a {{ contact }}:</p>
<p>A pesar de nuestros avisos anteriores, las facturas detalladas a continuación continúan impagadas. Por
medio de la presente le requerimos formalmente el pago de <strong>{{ total }}</strong> a más tardar el
{{ deadline }}.</p>
<p>De conformidad con {{ legal_basis }}, además del principal se devengan intereses de demora por
{{ interest_total }} y una indemnización por costes de cobro de {{ compensation_total }}.</p>
<p>Si el pago no se recibe en dicho plazo, iniciaremos las acciones legales oportunas sin más aviso.</p>""",
    },
    "de": {
        "polite": """<p>Sehr geehrte Damen und Herren,</p>
<p>bei der Durchsicht unserer Konten haben wir festgestellt, dass die unten aufgeführten Rechnungen
noch offen sind. Sicher handelt es sich um ein Versehen. Bitte überweisen Sie den Betrag von
<strong>{{ total }}</strong> bis zum {{ deadline }}.</p>
<p>Sollten Sie die Zahlung bereits veranlasst haben, betrachten Sie dieses Schreiben bitte als
gegenstandslos. Für Rückfragen stehen wir Ihnen gerne zur Verfügung.</p>""",
        "firm": """<p>Sehr geehrte Damen und Herren,</p>
<p>trotz unserer Zahlungserinnerung sind die unten aufgeführten Rechnungen weiterhin unbezahlt. Wir
fordern Sie auf, den fälligen Betrag von <strong>{{ total }}</strong> bis spätestens {{ deadline }} zu
begleichen.</p>
<p>Falls Gründe gegen eine Zahlung sprechen, teilen Sie uns diese bitte umgehend mit. Andernfalls sehen
wir uns gezwungen, weitere Schritte einzuleiten.</p>""",
        "formal": """<p>Sehr geehrte Damen und Herren,</p>
<p>trotz mehrfacher Mahnung sind die unten aufgeführten Rechnungen nach wie vor unbezahlt. Wir fordern
Sie hiermit letztmalig auf, den Betrag von <strong>{{ total }}</strong> bis spätestens {{ deadline }} zu
zahlen.</p>
<p>Gemäß {{ legal_basis }} schulden Sie zusätzlich zur Hauptforderung Verzugszinsen in Höhe von
{{ interest_total }} sowie die Verzugspauschale von {{ compensation_total }}.</p>
<p>Geht die Zahlung nicht fristgerecht ein, übergeben wir die Forderung ohne weitere Ankündigung zur
gerichtlichen Beitreibung; die Kosten gehen zu Ihren Lasten.</p>""",
    },
    "it": {
        "polite": """<p>Gentile {{ contact }},</p>
<p>dai nostri archivi risulta che le fatture sotto elencate sono scadute. Potrebbe trattarsi di una
semplice dimenticanza: Vi saremmo grati se voleste provvedere al pagamento di
<strong>{{ total }}</strong> entro il {{ deadline }}.</p>
<p>Qualora abbiate già effettuato il pagamento, Vi preghiamo di non tenere conto del presente
promemoria. Restiamo a disposizione per qualsiasi chiarimento.</p>""",
        "firm": """<p>Gentile {{ contact }},</p>
<p>nonostante il nostro precedente sollecito, le fatture sotto elencate risultano ancora insolute. Vi
chiediamo di saldare l'importo scaduto di <strong>{{ total }}</strong> entro e non oltre il
{{ deadline }}.</p>
<p>Se vi sono motivi che impediscono il pagamento, Vi preghiamo di comunicarceli immediatamente. In
mancanza di pagamento o di riscontro, saremo costretti ad intraprendere ulteriori iniziative.</p>""",
        "formal": """<p>Gentile {{ contact }},</p>
<p>malgrado i nostri solleciti, le fatture sotto elencate risultano tuttora insolute. Con la presente Vi
intimiamo formalmente il pagamento di <strong>{{ total }}</strong> entro e non oltre il {{ deadline }}.</p>
<p>Ai sensi del {{ legal_basis }}, oltre al capitale sono dovuti interessi moratori per
{{ interest_total }} e il risarcimento forfettario dei costi di recupero di {{ compensation_total }}.</p>
<p>In mancanza di pagamento nel termine indicato, affideremo la pratica al recupero giudiziale senza
ulteriore preavviso, con spese a Vostro carico.</p>""",
    },
    "ro": {
        "polite": """<p>Stimate/Stimată {{ contact }},</p>
<p>Conform evidențelor noastre, facturile de mai jos au depășit termenul de plată. Este posibil să fie
vorba de o omisiune, motiv pentru care vă rugăm să achitați suma de <strong>{{ total }}</strong> până la
data de {{ deadline }}.</p>
<p>Dacă ați efectuat deja plata, vă rugăm să considerați această notificare ca atare. Vă stăm la
dispoziție pentru orice întrebare.</p>""",
        "firm": """<p>Stimate/Stimată {{ contact }},</p>
<p>În pofida notificării noastre anterioare, facturile de mai jos au rămas neachitate. Vă solicităm să
achitați soldul restant de <strong>{{ total }}</strong> cel târziu la data de {{ deadline }}.</p>
<p>Dacă există un motiv care împiedică plata, vă rugăm să ne informați de îndată. În lipsa plății sau a
unui răspuns, vom fi nevoiți să luăm măsuri suplimentare.</p>""",
        "formal": """<p>Stimate/Stimată {{ contact }},</p>
<p>În ciuda notificărilor anterioare, facturile de mai jos sunt în continuare neachitate. Prin prezenta
vă punem în întârziere și vă solicităm plata sumei de <strong>{{ total }}</strong> cel târziu la data de
{{ deadline }}.</p>
<p>Potrivit {{ legal_basis }}, pe lângă debitul principal datorați dobânzi penalizatoare de
{{ interest_total }} și despăgubirea pentru costurile de recuperare de {{ compensation_total }}.</p>
<p>În lipsa plății în acest termen, vom proceda la recuperarea creanței pe cale judiciară fără o altă
notificare, pe cheltuiala dumneavoastră.</p>""",
    },
    "pt": {
        "polite": """<p>Exmo(a). Senhor(a) {{ contact }},</p>
<p>De acordo com os nossos registos, as faturas abaixo indicadas já ultrapassaram a data de vencimento.
Poderá tratar-se de um lapso, pelo que agradecemos o pagamento de <strong>{{ total }}</strong> até
{{ deadline }}.</p>
<p>Caso já tenha efetuado o pagamento, queira por favor ignorar este lembrete. Estamos ao dispor para
qualquer esclarecimento.</p>""",
        "firm": """<p>Exmo(a). Senhor(a) {{ contact }},</p>
<p>Apesar do nosso lembrete anterior, as faturas abaixo indicadas continuam por liquidar. Solicitamos o
pagamento do saldo vencido de <strong>{{ total }}</strong> o mais tardar até {{ deadline }}.</p>
<p>Se existir algum motivo que impeça o pagamento, queira informar-nos de imediato. Na falta de
pagamento ou de resposta, seremos obrigados a tomar outras medidas.</p>""",
        "formal": """<p>Exmo(a). Senhor(a) {{ contact }},</p>
<p>Não obstante os nossos avisos anteriores, as faturas abaixo indicadas permanecem por pagar. Pela
presente, interpelamos formalmente V. Exa. para o pagamento de <strong>{{ total }}</strong> até
{{ deadline }}.</p>
<p>Nos termos do {{ legal_basis }}, para além do capital são devidos juros de mora de
{{ interest_total }} e uma indemnização pelos custos de cobrança de {{ compensation_total }}.</p>
<p>Na falta de pagamento nesse prazo, avançaremos para a cobrança judicial sem outro aviso, a expensas
de V. Exa.</p>""",
    },
}

# Labels of the fixed layout (letterhead, item table, totals, payment instructions).
LABELS = {
    "en": dict(invoice="Document", due="Due date", days="Days overdue", open="Open", disputed="Disputed",
               due_now="Amount due", levels="Earlier reminders", interest="Interest", items_total="Overdue items",
               fee="Reminder fee", compensation="Fixed compensation", total="Total to pay",
               pay="Please pay to", reference="Reference", rate="rate", period="period",
               closing="Yours faithfully,", department="Credit department", account="Customer account"),
    "fr": dict(invoice="Pièce", due="Échéance", days="Jours de retard", open="Solde", disputed="Contesté",
               due_now="Montant dû", levels="Relances précédentes", interest="Intérêts", items_total="Factures échues",
               fee="Frais de relance", compensation="Indemnité forfaitaire", total="Total à régler",
               pay="Merci de régler sur le compte", reference="Référence", rate="taux", period="période",
               closing="Veuillez agréer, Madame, Monsieur, nos salutations distinguées.",
               department="Service crédit clients", account="Compte client"),
    "es": dict(invoice="Documento", due="Vencimiento", days="Días de retraso", open="Pendiente",
               disputed="En disputa", due_now="Importe debido", levels="Avisos anteriores", interest="Intereses",
               items_total="Facturas vencidas", fee="Gastos de reclamación", compensation="Indemnización fija",
               total="Total a pagar", pay="Rogamos efectúe el pago en la cuenta", reference="Referencia",
               rate="tipo", period="periodo", closing="Atentamente,", department="Departamento de crédito",
               account="Cuenta de cliente"),
    "de": dict(invoice="Beleg", due="Fällig am", days="Tage überfällig", open="Offen", disputed="Strittig",
               due_now="Fälliger Betrag", levels="Frühere Mahnungen", interest="Zinsen",
               items_total="Überfällige Posten", fee="Mahngebühr", compensation="Verzugspauschale",
               total="Zu zahlen", pay="Bitte überweisen Sie auf das Konto", reference="Verwendungszweck",
               rate="Zinssatz", period="Zeitraum", closing="Mit freundlichen Grüßen",
               department="Debitorenbuchhaltung", account="Kundenkonto"),
    "it": dict(invoice="Documento", due="Scadenza", days="Giorni di ritardo", open="Aperto", disputed="Contestato",
               due_now="Importo dovuto", levels="Solleciti precedenti", interest="Interessi",
               items_total="Fatture scadute", fee="Spese di sollecito", compensation="Risarcimento forfettario",
               total="Totale da pagare", pay="Vogliate effettuare il pagamento sul conto", reference="Causale",
               rate="tasso", period="periodo", closing="Distinti saluti,", department="Ufficio crediti",
               account="Conto cliente"),
    "ro": dict(invoice="Document", due="Scadență", days="Zile întârziere", open="Sold", disputed="Contestat",
               due_now="Sumă datorată", levels="Notificări anterioare", interest="Dobânzi",
               items_total="Facturi restante", fee="Taxă de notificare", compensation="Despăgubire fixă",
               total="Total de plată", pay="Vă rugăm să plătiți în contul", reference="Referință",
               rate="rata", period="perioada", closing="Cu stimă,", department="Departamentul de credit",
               account="Cont client"),
    "pt": dict(invoice="Documento", due="Vencimento", days="Dias de atraso", open="Em aberto",
               disputed="Em disputa", due_now="Valor em dívida", levels="Avisos anteriores", interest="Juros",
               items_total="Faturas vencidas", fee="Encargos de aviso", compensation="Indemnização fixa",
               total="Total a pagar", pay="Queira efetuar o pagamento para a conta", reference="Referência",
               rate="taxa", period="período", closing="Com os melhores cumprimentos,",
               department="Departamento de crédito", account="Conta de cliente"),
}

CONTACT_FALLBACK = {"en": "Sir or Madam", "fr": "Madame, Monsieur", "es": "cliente", "de": "Damen und Herren",
                    "it": "Cliente", "ro": "client", "pt": "Cliente"}
