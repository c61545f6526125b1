"""Teller bank sync: the API client (``client``), the sync through the ledger (``sync``), enrolments
(``enrollments``) and webhook checks (``webhooks``). Nothing here imports Flask except ``routes``."""
