"""The web server's access log without query strings: the pages' searches and filters
(« Rechercher » a child's name or a card number, a day, a month) travel in the query, and
the logs hold ids, never a child's name or card (docs/operations.md, logs)."""

from __future__ import annotations

import copy
import logging
from typing import Any


class DropQueryString(logging.Filter):
    """Cuts ``?…`` off the path of uvicorn's access records (``client, method, path,
    http version, status``); other records pass unchanged."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], args[2].partition("?")[0], args[3], args[4])
        return True


def uvicorn_log_config() -> dict[str, Any]:
    """uvicorn's own logging configuration with :class:`DropQueryString` on its access
    handler and the portal's loggers at INFO (a dict, so worker processes apply it too)."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["drop_query_string"] = {"()": DropQueryString}
    config["handlers"]["access"]["filters"] = ["drop_query_string"]
    # The portal's own lines (mail sender, notice pass, payments, pool exhausted) in the
    # same journal and format; they carry row ids and error classes, no personal data.
    config["loggers"]["portal_sync_api"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return config
