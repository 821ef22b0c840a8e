"""HTTP API of the portal (FastAPI)."""
