"""Locust users for bench_worklist.py: collectors working their worklist (run by locust, its own process).

Each user takes the session of one of the bench collectors (c01..c40; made by bench_worklist.py so
that the measured time is the pages', not password hashing), then alternates the worklist page, the
customer page of an account on it, and that customer's collections panel (the htmx fragment).
"""

from __future__ import annotations

import itertools
import os
import random
import re

from locust import HttpUser, between, task

SESSIONS = [key for key in os.environ.get("BENCH_SESSIONS", "").split(",") if key]
_numbers = itertools.count(0)
CUSTOMER_LINK = re.compile(r'href="/customers/(\d+)/\?next=')


class Collector(HttpUser):
    wait_time = between(0.5, 1.5)  # a collector reads before the next click

    def on_start(self) -> None:
        self.client.cookies.set("sessionid", SESSIONS[next(_numbers) % len(SESSIONS)])
        self.customers: list[str] = []

    @task(2)
    def worklist(self) -> None:
        page = self.client.get("/worklist/", name="worklist page")
        self.customers = CUSTOMER_LINK.findall(page.text) or self.customers

    @task(2)
    def customer(self) -> None:
        if not self.customers:
            return self.worklist()
        pk = random.choice(self.customers)
        self.client.get(f"/customers/{pk}/", name="customer page")
        self.client.get(f"/worklist/customers/{pk}/panel/", name="customer collections panel")
        return None
