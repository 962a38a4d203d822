"""A project built on pipeline_app: its hooks and settings."""
