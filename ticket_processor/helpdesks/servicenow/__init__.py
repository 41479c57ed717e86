"""ServiceNow: the adapter (its Table API as ticketbot's helpdesk) and, in ``sandbox/``, a
local stand-in of that API for the tests, the demo and the benchmarks."""
