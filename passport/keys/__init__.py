"""What ``build_key.py`` does for staff, one module per command, each with a ``main(argv)``."""
