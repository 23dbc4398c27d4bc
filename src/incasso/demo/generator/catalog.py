"""The fixed material the generator draws from: the client group's legal entities, the shared-service
centre's users, and per-country pools of company names, legal forms, people, banks and customs.

Everything here is fiction. E-mail addresses use the reserved ``.example`` top-level domain
(RFC 2606) so that a demo that sends reminders can never reach a real mailbox.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """A legal entity of the demo client group and the customs of its country."""

    code: str
    name: str
    country: str
    currency: str
    timezone: str
    language: str
    weight: int  # share of the customers (per mille)
    payment_terms: tuple[int, ...]  # usual terms in the country; the first is the most common
    foreign_currency: str = ""  # a second currency some customers are invoiced in


ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec("FR01", "Alvero France SAS", "FR", "EUR", "Europe/Paris", "fr", 250, (45, 60, 30)),
    EntitySpec("ES01", "Alvero Ibérica S.L.", "ES", "EUR", "Europe/Madrid", "es", 150, (60, 30, 90)),
    EntitySpec("DE01", "Alvero Deutschland GmbH", "DE", "EUR", "Europe/Berlin", "de", 200, (30, 14, 45)),
    EntitySpec("IT01", "Alvero Italia S.r.l.", "IT", "EUR", "Europe/Rome", "it", 150, (60, 90, 30)),
    EntitySpec("RO01", "Alvero România S.R.L.", "RO", "RON", "Europe/Bucharest", "ro", 120, (30, 15, 60),
               foreign_currency="EUR"),
    EntitySpec("GB01", "Alvero UK Ltd", "GB", "GBP", "Europe/London", "en", 130, (30, 60, 14)),
)

LANGUAGE_OF_COUNTRY = {"FR": "fr", "ES": "es", "DE": "de", "IT": "it", "RO": "ro", "GB": "en"}


@dataclass(frozen=True, slots=True)
class UserSpec:
    """A person of the shared-service centre; ``portfolio`` lists the (entity, language) pairs
    whose customers they collect, ``key_accounts`` that they take the key accounts of every entity."""

    username: str
    first_name: str
    last_name: str
    roles: tuple[str, ...]
    language: str
    portfolio: tuple[tuple[str, str], ...] = ()
    key_accounts: bool = False


USERS: tuple[UserSpec, ...] = (
    UserSpec("admin", "Ada", "Admin", ("admin",), "en"),
    UserSpec("ioana", "Ioana", "Marin", ("collector",), "fr", (("FR01", "fr"),)),
    UserSpec("andrei", "Andrei", "Pop", ("collector",), "fr", (("FR01", "en"), ("FR01", "de"), ("FR01", "it"))),
    UserSpec("maria", "Maria", "Ionescu", ("collector",), "es", (("ES01", "es"), ("ES01", "en"), ("FR01", "es"))),
    UserSpec("radu", "Radu", "Constantin", ("collector",), "de",
             (("DE01", "de"), ("DE01", "en"), ("DE01", "fr"), ("IT01", "de"))),
    UserSpec("cristina", "Cristina", "Dumitru", ("collector",), "it", (("IT01", "it"), ("IT01", "en"))),
    UserSpec("mihai", "Mihai", "Stan", ("collector",), "ro", (("RO01", "ro"), ("RO01", "en"))),
    UserSpec("laura", "Laura", "Georgescu", ("collector",), "en", (("GB01", "en"), ("GB01", "fr"))),
    UserSpec("alexandru", "Alexandru", "Munteanu", ("senior_collector", "collector"), "en", key_accounts=True),
    UserSpec("diana", "Diana", "Popa", ("team_leader",), "ro"),
    UserSpec("paul", "Paul", "Neagu", ("controller",), "en"),
    UserSpec("sorin", "Sorin", "Vasile", ("risk_approver",), "ro"),
    UserSpec("bianca", "Bianca", "Rusu", ("cash_application",), "en"),
    UserSpec("marc", "Marc", "Dubois", ("dispute_resolver",), "fr"),
)


def collector_for(entity: str, language: str, key_account: bool) -> str:
    """The username that collects a customer: the senior collector takes key accounts, else the
    collector speaking the customer's language for the entity, else the entity's main collector."""
    if key_account:
        return next(u.username for u in USERS if u.key_accounts)
    for user in USERS:
        if (entity, language) in user.portfolio:
            return user.username
    for user in USERS:  # the entity's main collector: the one whose portfolio starts with it
        if user.portfolio and user.portfolio[0][0] == entity:
            return user.username
    raise ValueError(f"no collector covers entity {entity}")


@dataclass(frozen=True, slots=True)
class CountrySpec:
    """How companies and people of one country are called, and where they bank."""

    surnames: tuple[str, ...]
    first_names: tuple[str, ...]
    activities: tuple[str, ...]  # "{activity} {surname}" or "{surname} {activity}" per ``activity_first``
    cities: tuple[str, ...]
    legal_forms: tuple[tuple[str, str], ...]  # (form for SMEs, form for large companies) pairs
    activity_first: bool
    tld: str
    phone_prefix: str
    mailbox: dict[str, str]  # purpose -> local part of the shared mailbox
    banks: tuple[tuple[str, str], ...]  # (bank code, branch code) for IBANs
    account_digits: int
    invoice_prefix: str
    credit_note_prefix: str
    debit_note_prefix: str
    payment_prefix: str
    reference_prefix: str  # the customer's purchase-order reference


COUNTRIES: dict[str, CountrySpec] = {
    "FR": CountrySpec(
        surnames=("Durand", "Moreau", "Lefebvre", "Garnier", "Fontaine", "Rousseau", "Chevalier", "Lambert",
                  "Bonnet", "Girard", "Mercier", "Faure", "Blanchard", "Gauthier", "Perrin", "Roux",
                  "Marchand", "Dupont", "Lemoine", "Caron", "Masson", "Picard", "Renaud", "Arnaud"),
        first_names=("Camille", "Julien", "Sophie", "Nicolas", "Claire", "Thomas", "Élodie", "Mathieu",
                     "Isabelle", "Antoine", "Céline", "François", "Aurélie", "Sébastien"),
        activities=("Transports", "Boulangeries", "Matériaux", "Menuiserie", "Imprimerie", "Distribution",
                    "Bâtiment", "Logistique", "Pharmacie", "Équipements", "Électricité", "Emballages",
                    "Agroalimentaire", "Hôtellerie", "Plasturgie", "Métallerie"),
        cities=("Lyon", "Lille", "Nantes", "Rennes", "Bordeaux", "Toulouse", "Marseille", "Grenoble",
                "Dijon", "Reims", "Tours", "Rouen", "Metz", "Nancy", "Angers", "Caen"),
        legal_forms=(("SARL", "SAS"), ("EURL", "SA"), ("SAS", "SAS"), ("SARL", "SA")),
        activity_first=True, tld="fr.example", phone_prefix="+33",
        mailbox={"invoices": "comptabilite.fournisseurs", "statements": "releves", "general": "contact"},
        banks=(("30004", "00828"), ("30003", "01234"), ("30002", "00550"), ("10278", "06076"), ("18206", "00210")),
        account_digits=11, invoice_prefix="FA", credit_note_prefix="AV", debit_note_prefix="ND",
        payment_prefix="ENC", reference_prefix="BC",
    ),
    "ES": CountrySpec(
        surnames=("García", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Fernández", "Ruiz", "Díaz",
                  "Moreno", "Álvarez", "Romero", "Navarro", "Torres", "Domínguez", "Vázquez", "Ramos",
                  "Gil", "Serrano", "Molina", "Ortega", "Castro", "Rubio", "Marín"),
        first_names=("Lucía", "Javier", "Carmen", "Alejandro", "Marta", "Pablo", "Elena", "Sergio", "Laura",
                     "Daniel", "Cristina", "Álvaro", "Nuria", "Jorge"),
        activities=("Construcciones", "Distribuciones", "Transportes", "Suministros", "Alimentación",
                    "Reformas", "Instalaciones", "Comercial", "Maderas", "Talleres", "Hostelería",
                    "Automoción", "Cerámicas", "Envases", "Farmacia", "Logística"),
        cities=("Madrid", "Valencia", "Sevilla", "Zaragoza", "Málaga", "Bilbao", "Murcia", "Alicante",
                "Valladolid", "Vigo", "Gijón", "Granada", "Córdoba", "Pamplona", "Santander", "Burgos"),
        legal_forms=(("S.L.", "S.A."), ("S.L.", "S.L."), ("S.L.U.", "S.A.")),
        activity_first=True, tld="es.example", phone_prefix="+34",
        mailbox={"invoices": "facturas", "statements": "contabilidad", "general": "info"},
        banks=(("2100", "0418"), ("0049", "1500"), ("0182", "2370"), ("0081", "0216"), ("2038", "1745")),
        account_digits=10, invoice_prefix="FV", credit_note_prefix="AB", debit_note_prefix="ND",
        payment_prefix="COB", reference_prefix="PED",
    ),
    "DE": CountrySpec(
        surnames=("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
                  "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann",
                  "Schwarz", "Zimmermann", "Braun", "Hofmann", "Krüger", "Hartmann", "Lange", "Werner"),
        first_names=("Anna", "Jonas", "Katharina", "Lukas", "Sabine", "Michael", "Julia", "Stefan",
                     "Petra", "Tobias", "Claudia", "Markus", "Jana", "Florian"),
        activities=("Logistik", "Maschinenbau", "Bau", "Elektrotechnik", "Metallbau", "Handel", "Holzbau",
                    "Druck", "Verpackung", "Lebensmittel", "Haustechnik", "Fahrzeugbau", "Medizintechnik",
                    "Kunststofftechnik", "Spedition", "Werkzeugbau"),
        cities=("Hamburg", "München", "Köln", "Stuttgart", "Düsseldorf", "Leipzig", "Dortmund", "Bremen",
                "Dresden", "Hannover", "Nürnberg", "Bielefeld", "Augsburg", "Kassel", "Ulm", "Mainz"),
        legal_forms=(("GmbH", "AG"), ("GmbH & Co. KG", "GmbH"), ("GmbH", "SE"), ("e.K.", "AG")),
        activity_first=False, tld="de.example", phone_prefix="+49",
        mailbox={"invoices": "rechnungseingang", "statements": "buchhaltung", "general": "info"},
        banks=(("37040044", ""), ("10070000", ""), ("50010517", ""), ("70020270", ""), ("20050550", "")),
        account_digits=10, invoice_prefix="RE", credit_note_prefix="GS", debit_note_prefix="BE",
        payment_prefix="ZE", reference_prefix="BEST",
    ),
    "IT": CountrySpec(
        surnames=("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci",
                  "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca", "Mancini", "Costa", "Giordano",
                  "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro", "Mariani"),
        first_names=("Giulia", "Marco", "Francesca", "Luca", "Chiara", "Alessandro", "Sara", "Matteo",
                     "Valentina", "Andrea", "Federica", "Davide", "Elisa", "Simone"),
        activities=("Costruzioni", "Alimentari", "Trasporti", "Meccanica", "Arredamenti", "Tessile",
                    "Impianti", "Forniture", "Ceramiche", "Commerciale", "Edilizia", "Imballaggi",
                    "Farmaceutici", "Logistica", "Elettronica", "Serramenti"),
        cities=("Milano", "Torino", "Bologna", "Firenze", "Napoli", "Verona", "Padova", "Brescia",
                "Bergamo", "Genova", "Bari", "Parma", "Modena", "Vicenza", "Trieste", "Ancona"),
        legal_forms=(("S.r.l.", "S.p.A."), ("S.r.l.", "S.r.l."), ("S.n.c.", "S.p.A."), ("S.r.l.s.", "S.p.A.")),
        activity_first=False, tld="it.example", phone_prefix="+39",
        mailbox={"invoices": "amministrazione", "statements": "contabilita", "general": "info"},
        banks=(("03069", "09606"), ("02008", "01600"), ("05034", "11701"), ("03111", "11200"), ("05696", "01600")),
        account_digits=12, invoice_prefix="FT", credit_note_prefix="NC", debit_note_prefix="ND",
        payment_prefix="INC", reference_prefix="ORD",
    ),
    "RO": CountrySpec(
        surnames=("Popescu", "Ionescu", "Popa", "Dumitrescu", "Stoica", "Stan", "Gheorghe", "Matei",
                  "Ciobanu", "Rusu", "Munteanu", "Lungu", "Barbu", "Dobre", "Florea", "Nistor", "Moldovan",
                  "Tudor", "Dinu", "Sandu", "Pavel", "Ene", "Toma", "Cristea"),
        first_names=("Andreea", "Mihai", "Elena", "Alexandru", "Ioana", "Bogdan", "Raluca", "Cătălin",
                     "Ana", "Vlad", "Simona", "Gabriel", "Oana", "Răzvan"),
        activities=("Construct", "Agro", "Trans", "Distribuție", "Impex", "Comerț", "Logistic",
                    "Industrial", "Farm", "Prod", "Instal", "Servicii", "Construcții", "Mobila", "Tehnic",
                    "Alimentar"),
        cities=("Cluj-Napoca", "Iași", "Timișoara", "Constanța", "Craiova", "Brașov", "Galați", "Ploiești",
                "Oradea", "Sibiu", "Arad", "Pitești", "Bacău", "Suceava", "Bistrița", "Alba Iulia"),
        legal_forms=(("S.R.L.", "S.A."), ("S.R.L.", "S.R.L."), ("S.R.L.", "S.A.")),
        activity_first=False, tld="ro.example", phone_prefix="+40",
        mailbox={"invoices": "contabilitate", "statements": "financiar", "general": "office"},
        banks=(("BTRL", ""), ("BRDE", ""), ("RNCB", ""), ("INGB", ""), ("RZBR", "")),
        account_digits=16, invoice_prefix="FCT", credit_note_prefix="STO", debit_note_prefix="ND",
        payment_prefix="INC", reference_prefix="CMD",
    ),
    "GB": CountrySpec(
        surnames=("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
                  "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
                  "Jackson", "Clarke", "Harrison", "Cooper", "Morgan", "Hughes"),
        first_names=("Oliver", "Emily", "James", "Charlotte", "Harry", "Sophie", "George", "Hannah",
                     "Jack", "Lucy", "William", "Grace", "Thomas", "Amelia"),
        activities=("Engineering", "Logistics", "Building Supplies", "Foods", "Print", "Packaging",
                    "Electrical", "Joinery", "Haulage", "Pharmacy", "Hospitality", "Motors", "Plastics",
                    "Fabrications", "Trading", "Timber"),
        cities=("Leeds", "Manchester", "Bristol", "Sheffield", "Glasgow", "Cardiff", "Leicester", "Norwich",
                "Coventry", "Reading", "Derby", "York", "Exeter", "Swindon", "Preston", "Hull"),
        legal_forms=(("Ltd", "PLC"), ("Ltd", "Ltd"), ("& Sons Ltd", "PLC"), ("LLP", "Ltd")),
        activity_first=False, tld="co.uk.example", phone_prefix="+44",
        mailbox={"invoices": "accounts.payable", "statements": "finance", "general": "info"},
        banks=(("NWBK", "601613"), ("BARC", "200000"), ("LOYD", "309634"), ("HBUK", "400515"), ("MIDL", "401276")),
        account_digits=8, invoice_prefix="INV", credit_note_prefix="CN", debit_note_prefix="DN",
        payment_prefix="RCP", reference_prefix="PO",
    ),
}

# Customers of an entity that sit in another country (cross-border sales), per mille.
FOREIGN_CUSTOMERS_PER_MILLE = 80

# Customer segments: (code, per mille, credit limit range in entity currency units of 1,000,
# invoice amount range in EUR) — amounts are scaled to the currency with CURRENCY_SCALE.
SEGMENTS: tuple[tuple[str, int, tuple[int, int], tuple[int, int]], ...] = (
    ("sme", 560, (5, 50), (80, 6_000)),
    ("corporate", 280, (50, 500), (400, 40_000)),
    ("public_sector", 100, (20, 200), (300, 25_000)),
    ("key_account", 60, (500, 3_000), (2_000, 150_000)),
)

# How many units of each currency make roughly one euro, as a ratio (numerator, denominator), so
# amounts stay plausible without any float exchange rate.
CURRENCY_SCALE: dict[str, tuple[int, int]] = {"EUR": (1, 1), "RON": (5, 1), "GBP": (17, 20)}

# Group parents: one business partner with accounts in several of the client group's entities.
GROUP_NAMES: tuple[str, ...] = (
    "Nordwind", "Solaria", "Vetrix", "Castellum", "Brightwater", "Carpathia", "Meridian", "Tessara",
    "Alpenblick", "Lumina", "Oceanis", "Verdano", "Ironbridge", "Danubia", "Aurelia", "Montclair",
)

# How a group parent's subsidiary is named in each country ("Nordwind Deutschland GmbH").
COUNTRY_WORD = {"FR": "France", "ES": "España", "DE": "Deutschland", "IT": "Italia", "RO": "România", "GB": "UK"}
