"""deploylib: gate, build, release, deploy, validate and roll back web apps with doit."""
