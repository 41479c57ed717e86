"""What the local stand-in servers share (HTTP plumbing, jobs, the state file, the commands'
entry, the test desks' ``Desk`` harness), and the OpenAI-compatible LLM stand-in.

The helpdesks' own sandboxes live with their adapters and build on this kit, which names no
helpdesk: ``helpdesks/zendesk/sandbox``, ``helpdesks/freshdesk/sandbox``.
"""
