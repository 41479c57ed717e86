"""What the tests share, each module named for what it is: ``clock`` (the one fake clock),
``cli`` (the one CliRunner call), ``e2e`` (end-to-end set-up and the checks on what a run
wrote), and the pytest plugins ``tests/conftest.py`` loads: ``zendesk_sandbox``,
``freshdesk_sandbox``, ``llm_servers``, ``webhook`` and ``desk`` (a helpdesk sandbox of each
kind)."""
