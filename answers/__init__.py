"""The answer domain: cited passages from a search, and answers written from them."""
