"""The web shell: sign-in, home, top bar with roles, and the user's language."""

from __future__ import annotations

import pytest
from django.urls import reverse

from incasso.accounts.choices import Role
from incasso.web.tests.fixtures import a_user

pytestmark = pytest.mark.django_db


def test_the_login_page_is_styled_and_offers_no_sign_up(client):  # type: ignore[no-untyped-def]
    response = client.get(reverse("account_login"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "incasso/app.css" in html
    assert "sign up" not in html.lower()


def test_signing_in_lands_a_collector_on_the_worklist(client):  # type: ignore[no-untyped-def]
    a_user("anna", Role.COLLECTOR)

    response = client.post(reverse("account_login"), {"login": "anna", "password": "correct horse battery"},
                           follow=True)

    assert response.redirect_chain[-1][0] == reverse("collections:worklist")
    assert '<span class="chip chip-role">Collector</span>' in response.content.decode()


def test_signing_in_lands_a_controller_on_the_customer_list(client):  # type: ignore[no-untyped-def]
    a_user("clara", Role.CONTROLLER)

    response = client.post(reverse("account_login"), {"login": "clara", "password": "correct horse battery"},
                           follow=True)

    assert response.redirect_chain[-1][0] == reverse("ledger:customer_list")


def test_a_wrong_password_says_so_on_the_login_page(client):  # type: ignore[no-untyped-def]
    a_user("anna", Role.COLLECTOR)

    response = client.post(reverse("account_login"), {"login": "anna", "password": "nope"})

    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_the_chosen_language_sticks_and_the_page_speaks_french(client):  # type: ignore[no-untyped-def]
    client.force_login(a_user("anna", Role.COLLECTOR))

    client.post(reverse("set_language"), {"language": "fr", "next": "/customers/"})
    response = client.get(reverse("ledger:customer_list"))

    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert ">Clients</h1>" in html
    assert "Échu" in html
    assert "Collecteur" in html or "Chargé de recouvrement" in html


def test_money_is_formatted_in_the_users_locale():  # type: ignore[no-untyped-def]
    from decimal import Decimal

    from django.utils import translation

    from incasso.web.templatetags.incasso_ui import bizdate, money

    with translation.override("fr"):
        assert money(Decimal("-1234.5"), "EUR") == "-1\u202f234,50\xa0€"
    with translation.override("de"):
        assert money(Decimal("1234.5"), "EUR") == "1.234,50\xa0€"
    with translation.override("en"):
        from datetime import date

        assert bizdate(date(2026, 3, 9)) == "09/03/2026"


def test_to_as_a_date_range_end_and_as_a_recipient_are_translated_apart():
    from django.utils import translation
    from django.utils.translation import gettext, pgettext

    with translation.override("de"):
        assert (pgettext("end of a date range", "To"), gettext("To")) == ("Bis", "An")
    with translation.override("ro"):
        assert (pgettext("end of a date range", "To"), gettext("To")) == ("Până la", "Către")
