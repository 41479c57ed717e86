"""A third helpdesk kind, ``tinydesk``, defined only in the tests: an in-memory helpdesk that
registers through the registry alone (``helpdesks.registry.register``) and passes the shared
helpdesk contract tests (``tests/helpdesks/test_kind_contract.py``). It lacks the optional
capabilities a kind may leave out: incident linking and answers.
"""
