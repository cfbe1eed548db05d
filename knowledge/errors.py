"""KnowledgeError on its own, so that catching it (the command line does) imports neither YAML nor pydantic."""

from __future__ import annotations


class KnowledgeError(Exception):
    """A knowledge file is missing, unreadable or invalid. The message names file, entry and field."""
