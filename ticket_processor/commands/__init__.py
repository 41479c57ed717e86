"""The ``ticketbot`` commands: one module per command group, each a thin layer over the package."""
