"""Who answers a ticket: its skills for the helpdesk's own routing, or an agent ticketbot picks
(``TICKETBOT_ASSIGNMENT``), and the two-way reply an agent writes in their own language
(``/reply``). ``setup`` makes the steps the run lists; only the steps' modules do I/O, through
the helpdesk's ``StaffingDesk`` (``helpdesks/staffing.py``)."""
