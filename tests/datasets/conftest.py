"""Fixtures of the dataset tests: the real broken media files."""
from bad_media import bad_media  # noqa: F401
