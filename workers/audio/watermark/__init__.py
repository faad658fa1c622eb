"""Watermarks: an audible trial tag (audible.py) and an invisible user payload (payload.py)."""
