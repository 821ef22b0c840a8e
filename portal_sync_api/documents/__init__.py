"""Documents the portal hands to people as files: monthly statements as PDF and CSV."""
