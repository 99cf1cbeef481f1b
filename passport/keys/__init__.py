"""Staff tooling behind ``build_key.py``: prepare, verify and update keys in bulk."""
