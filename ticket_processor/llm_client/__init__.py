"""The LLM client's parts behind ``llm.py``: connections and the call's deadline, pacing, prompt,
wire format, Batch API, the SDK's import.
"""
