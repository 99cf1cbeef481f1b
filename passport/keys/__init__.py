"""Staff tooling behind ``build_key.py``: prepare, verify, update, list and collect keys; one module per command."""
