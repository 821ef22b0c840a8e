"""One screen per module: serving (the line), search (F2), undo (F3), day summary (F5)."""
