"""A solved ticket's QA reading: was the customer's question answered, was the customer asked
for the same thing twice, the agents' tone; each point with the messages it rests on. Word-list
readings of the conversation, no LLM call (``reading.py``); the dashboard shows them on a solved
ticket's page where ``TICKETBOT_QA`` turns them on."""
