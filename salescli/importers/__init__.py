"""CSV imports and exports: read (reading.py) -> map (mapping.py) -> plan (plan.py) -> apply (apply.py).

Importing this package is cheap; commands import the modules they need inside their functions.
"""
