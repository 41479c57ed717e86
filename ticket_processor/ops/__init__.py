"""Operating ticketbot: health, alerts, schedules, accounts, the JSON-lines log, the secret
scrubber.
"""
