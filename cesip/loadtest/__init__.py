"""`make loadtest`: the production set-up under Locust (see __main__.py)."""
