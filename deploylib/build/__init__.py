"""The production build, its budgets and the artifact it is packed into."""
