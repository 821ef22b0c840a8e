"""A serving portal keeps its start-up heap out of the cyclic garbage collector's sight
(portal_sync_api/background.py): a full collection, which stops every request of the
worker, then walks only what requests made. A stopped app hands the heap back."""

from __future__ import annotations

import gc

from fastapi.testclient import TestClient

from portal_sync_api.api.main import create_app


def test_a_serving_portal_freezes_its_startup_heap_and_hands_it_back_when_stopped(
    portal_db: str,
) -> None:
    app = create_app(portal_db)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        frozen = gc.get_freeze_count()
        walked = len(gc.get_objects())
        # The app, its routes and mappers and every module imported so far are frozen;
        # what a full collection still walks is a small part of it.
        assert frozen > 100_000
        assert walked < frozen / 4
    app.state.engine.dispose()
    assert gc.get_freeze_count() == 0
