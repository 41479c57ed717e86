"""One run of ticketbot: discover tickets, fan them out, triage, plan, write back, record."""
