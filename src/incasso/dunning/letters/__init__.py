"""Dunning letters: texts per language and tone, rendered in a Jinja2 sandbox to HTML and PDF."""
