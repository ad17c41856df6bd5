"""A bare authenticated DRF endpoint that inserts one row: the floor `api_load.py`
measures the payments API against. Only the benchmark settings install it; the
product never does."""
