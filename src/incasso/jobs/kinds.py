"""The jobs a worker can run: kind → dotted path of ``function(job, **params)``.

An explicit table rather than a registry: adding a kind is adding a line here. The paths are
strings so that this app (a low layer) does not import the apps whose work it runs.
"""

KINDS: dict[str, str] = {
    "dunning.send": "incasso.dunning.jobs.send_job",
    "dunning.propose": "incasso.dunning.jobs.propose_job",
    "cashapp.match": "incasso.cashapp.jobs.match_job",  # a matching run started from the cash application queue
    "reports.pack": "incasso.reports.schedules.pack_job",  # a scheduled report pack, built and e-mailed
    "jobs.echo": "incasso.jobs.actions.echo_job",  # used by the worker's own tests and smoke checks
}
