"""The web command's worker hook: the app's objects are frozen out of the collector's full passes once the
URLconf (and with it every view module) is loaded."""

import gc

from django.urls import clear_url_caches, get_resolver

from twin import gunicorn_conf


def test_after_boot_the_urlconf_is_loaded_and_the_apps_objects_frozen():
    gc.unfreeze()
    clear_url_caches()
    try:
        assert "url_patterns" not in get_resolver().__dict__
        assert gc.get_freeze_count() == 0
        gunicorn_conf.post_worker_init(worker=None)
        assert "url_patterns" in get_resolver().__dict__  # loaded by the hook, not by the first request
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
