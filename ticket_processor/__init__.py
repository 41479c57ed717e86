"""ticketbot: triage helpdesk tickets with an LLM, with keyword rules as the fallback."""

__version__ = "0.1.0"
