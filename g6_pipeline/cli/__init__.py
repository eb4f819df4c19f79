"""The `g6` command line: one small module per command group."""
