"""Process plumbing with no knowledge of markets: logging with secret masking, atomic file writes."""
