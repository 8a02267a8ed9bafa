"""Thin HTTP handlers over services/."""
