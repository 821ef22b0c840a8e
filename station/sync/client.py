"""HTTP client of the portal's station endpoints (docs/sync-protocol.md).

One ``requests.Session`` with the bearer token, a timeout on every call and TLS
verification (optionally against the school's CA bundle). Every failure comes out as a
``SyncError`` in French; nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests

from station.core.errors import SyncError


class PortalClient:
    """Talks to ``/v1/sync/*`` of one portal as one station."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 5.0,
        ca_bundle: str = "",
        session: requests.Session | None = None,
    ) -> None:
        if not url:
            raise SyncError("Aucune adresse de portail configurée ([portal] url).")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"
        self.session.headers["User-Agent"] = "cantine-station/1"
        # Passed on every request: requests lets $REQUESTS_CA_BUNDLE override a session's
        # ``verify``, which would silently ignore the configured bundle.
        self.verify: str | bool = ca_bundle or True
        #: Headers describing the station sent with every request (``X-Station-*``,
        #: docs/sync-protocol.md); set by the synchronizer.
        self.telemetry: Callable[[], Mapping[str, str]] | None = None

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self.telemetry is not None:
            kwargs["headers"] = {**self.telemetry(), **kwargs.get("headers", {})}
        try:
            response = self.session.request(
                method, self.url + path, timeout=self.timeout, verify=self.verify, **kwargs
            )
        except requests.exceptions.SSLError as e:
            raise SyncError(f"Certificat du portail refusé ({self.url}) : {e}") from e
        except requests.exceptions.Timeout as e:
            raise SyncError(
                f"Le portail ne répond pas (délai de {self.timeout:g} s dépassé)."
            ) from e
        except requests.exceptions.RequestException as e:
            raise SyncError(f"Portail injoignable ({self.url}) : {type(e).__name__}") from e
        if response.status_code == 401:
            raise SyncError("Jeton du poste refusé par le portail : vérifiez [portal] token.")
        if response.status_code >= 400:
            raise SyncError(
                f"Le portail a répondu {response.status_code} à {method} {path} : "
                f"{response.text[:200]}"
            )
        try:
            return response.json()
        except ValueError as e:
            raise SyncError(f"Réponse illisible du portail à {method} {path}.") from e

    def changes(self, since: int, limit: int) -> dict[str, Any]:
        """One page of the changes feed after ``since``."""
        page = self._request("GET", "/v1/sync/changes", params={"since": since, "limit": limit})
        if not isinstance(page, dict) or not isinstance(page.get("changes"), list):
            raise SyncError("Page de changements mal formée reçue du portail.")
        if not isinstance(page.get("next"), int) or not isinstance(page.get("more"), bool):
            raise SyncError("Page de changements sans curseur reçue du portail.")
        return page

    def push(self, items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send meals and voids; one result per item, in order."""
        answer = self._request("POST", "/v1/sync/meals", json={"meals": list(items)})
        results = answer.get("results") if isinstance(answer, dict) else None
        if not isinstance(results, list) or len(results) != len(items):
            raise SyncError("Réponse d'envoi des passages mal formée.")
        return results

    def health(self) -> dict[str, Any]:
        """``GET /healthz`` (no token needed); used by ``doctor``."""
        answer = self._request("GET", "/healthz")
        return answer if isinstance(answer, dict) else {}

    def close(self) -> None:
        self.session.close()
