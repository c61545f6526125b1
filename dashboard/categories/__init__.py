"""Each user's category list: seeding, the mapping of bank and file categories onto it, rename and merge, bulk
categorise with undo, and their pages (``routes``, the ``categories`` blueprint)."""
