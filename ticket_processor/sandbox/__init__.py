"""What the local stand-in servers share (HTTP plumbing, jobs, the state file), and the OpenAI-
compatible LLM stand-in.

The helpdesks' own sandboxes live with their adapters: ``helpdesks/zendesk/sandbox``,
``helpdesks/freshdesk/sandbox``.
"""
