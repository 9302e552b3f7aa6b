"""Quality gates: the checks a commit passes before it is built."""
