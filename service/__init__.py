"""Everything a person touches: the HTTP API, the search page and the command line."""
