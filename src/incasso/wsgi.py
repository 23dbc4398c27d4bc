import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incasso.settings")
application = get_wsgi_application()


def _warm_up_and_freeze() -> None:
    """Pay the per-process start-up before the first request, then take what it built out of the garbage
    collector's sight: the URLconf (every view module imported) and each language's translation catalogue,
    then ``gc.freeze()``. The ~150,000 long-lived objects of a loaded app (modules, models, URL patterns,
    catalogues) were scanned by every full collection -- a 100-200 ms pause in the middle of some request,
    the slow tail of the pages under load. Frozen objects are never collected (they live as long as the
    process anyway); the objects requests create are collected as before."""
    from django.conf import settings
    from django.urls import get_resolver
    from django.utils import translation

    get_resolver().url_patterns  # noqa: B018 - imports the views
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext("Worklist")
    gc.collect()
    gc.freeze()


_warm_up_and_freeze()
