"""Locust users for bench_worklist.py: collectors working their worklist (run by locust, its own process).

Each user takes the session of one of the bench collectors (c01..c40; made by bench_worklist.py so
that the measured time is the pages', not password hashing), then alternates the worklist page, the
customer page of an account on it, and that customer's collections panel (the htmx fragment).

``FastHttpUser`` (geventhttpclient) rather than ``HttpUser`` (requests): the same users, tasks, think
time and cookies (the session cookie, and the CSRF cookie the pages set, kept in the user's jar), at
a fraction of the load generator's CPU -- it shares the two cores with the server it measures.
``BENCH_LOCUST_CLIENT=requests`` runs the ``HttpUser`` variant, to compare.
"""

from __future__ import annotations

import itertools
import os
import random
import re

from locust import HttpUser, between, task
from locust.contrib.fasthttp import FastHttpUser
from requests.cookies import create_cookie

SESSIONS = [key for key in os.environ.get("BENCH_SESSIONS", "").split(",") if key]
_numbers = itertools.count(0)
CUSTOMER_LINK = re.compile(r'href="/customers/(\d+)/\?next=')
LIGHT = os.environ.get("BENCH_LOCUST_CLIENT", "fast") != "requests"


class Collector(FastHttpUser if LIGHT else HttpUser):  # type: ignore[misc]
    wait_time = between(0.5, 1.5)  # a collector reads before the next click

    def on_start(self) -> None:
        session = SESSIONS[next(_numbers) % len(SESSIONS)]
        if LIGHT:
            host = self.host.split("//", 1)[1].split(":", 1)[0]
            self.client.cookiejar.set_cookie(create_cookie("sessionid", session, domain=host))
        else:
            self.client.cookies.set("sessionid", session)
        self.customers: list[str] = []

    def page(self, path: str, name: str, marker: str) -> str:
        """GET ``path``; a redirect (to the login page) or a page without ``marker`` counts as a failure."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as response:
            text = response.text or ""
            if response.status_code != 200 or marker not in text:
                response.failure(f"status {response.status_code}, {marker!r} not in the page")
            return text

    @task(2)
    def worklist(self) -> None:
        page = self.page("/worklist/", "worklist page", 'id="worklist"')
        self.customers = CUSTOMER_LINK.findall(page) or self.customers

    @task(2)
    def customer(self) -> None:
        if not self.customers:
            return self.worklist()
        pk = random.choice(self.customers)
        self.page(f"/customers/{pk}/", "customer page", 'id="open-items"')
        self.page(f"/worklist/customers/{pk}/panel/", "customer collections panel", 'id="activities"')
        return None
