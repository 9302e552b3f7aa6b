"""Pure version logic: Conventional Commits parsing and bump rules. No git, no I/O."""
