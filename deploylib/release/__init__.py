"""Semantic release: version, changelog, version files, tag and forge release."""
