"""Customers' data held by ticketbot: where it lives (``places``), whose it is (``people``),
and what ``ticketbot privacy export`` and ``privacy forget`` do with one person's."""
