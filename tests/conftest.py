"""Fixtures shared by every test folder."""

pytest_plugins = [
    "tests.support.smtp",
    "tests.support.browser",
    "tests.support.web_portal",
]
