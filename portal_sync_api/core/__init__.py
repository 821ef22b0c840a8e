"""Configuration, database engine and token security of the portal."""
