"""What deploylib keeps on disk: the ledger, locks, the workspace and atomic writes."""
