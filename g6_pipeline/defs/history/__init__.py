"""After the close: the daily assets (trading day × index), their checks and automation, gap repair."""
