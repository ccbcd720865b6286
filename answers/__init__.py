"""The answer domain: cited passages from a search, and answers written from them.

It stands on the layers below it alone (`ragnotes.index`, `ragnotes.corpus`, `ragnotes.errors`),
never on the transports that serve it; tests/test_layout.py checks that.
"""
