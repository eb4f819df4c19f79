"""What every G6 process is built from: the settings, the market calendar, the opened data location and the sinks."""
