"""The LLM client's parts behind ``llm.py``: connection pool, pacing, prompt, wire format, Batch
API.
"""
