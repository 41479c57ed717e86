"""The LLM client's parts behind ``llm.py``: connection pool, pacing, prompt, wire format, Batch
API.
"""

from .sdk_import import lazy_sdk_packages

# Before any module of this package (or ``llm.py``, which imports this package first) imports
# the SDK: its model packages a run never reads are imported only when used.
lazy_sdk_packages()
