"""The HTTP adapter: requests in, responses out; no business logic."""
