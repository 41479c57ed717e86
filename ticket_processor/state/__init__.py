"""The state directory: atomic files, the run lock, the ledger, the journal, the analysis cache."""
