"""After the close: quality checks of a stored day and the weekday master built from stored days."""
