"""Configuration: deploy.toml read, validated and typed."""
