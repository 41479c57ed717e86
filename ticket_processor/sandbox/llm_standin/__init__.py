"""An OpenAI-compatible stand-in LLM server for tests and benchmarks: ``server`` (HTTP),
``answers``, ``batches``, ``limits``.
"""
