"""Fixtures that start the OpenAI-compatible stand-in (and the real llama.cpp server) on port 0."""
