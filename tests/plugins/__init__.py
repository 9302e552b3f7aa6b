"""Plug-ins written against deploylib's interfaces only, installed by the tests through a real
`.dist-info` (see tests/e2e/test_plugins.py): nothing in deploylib names them."""
