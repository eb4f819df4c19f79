"""The contracts every layer shares: market time and calendar, the snapshot, the schema, the cycle report."""
