"""Categorisation rules: definitions (the JSON format), matching (pure), their application on import, sync, API
writes and stored rows, the services that store them, and their pages (``routes``, the ``rules`` blueprint)."""
