"""Passeport: an offline youth passport that lives on a USB key."""

__version__ = "0.1.0"
