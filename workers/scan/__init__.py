"""Virus scanning: a clamd INSTREAM client with typed, fail-closed verdicts, the scan job,
quarantine, and a private clamd runner with our own EICAR signature database."""
