"""kg: a knowledge graph of same-sex partnership recognition in Japan, built from news."""

from __future__ import annotations

__version__ = "0.1.0"
