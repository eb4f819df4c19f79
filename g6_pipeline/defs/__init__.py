"""The Dagster layer of G6: thin wrappers over the pure core, one folder per domain. Nothing else imports it."""
