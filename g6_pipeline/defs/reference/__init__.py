"""Reference data: the exchanges' bhavcopy files an import read, and the archive of Kite's instrument lists."""
