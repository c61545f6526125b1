"""Transaction vectors, nearest-neighbour look-ups (pgvector on PostgreSQL, numpy elsewhere) and category
suggestions from the user's own categorised history."""
