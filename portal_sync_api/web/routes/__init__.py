"""Routers of the web pages."""
