"""G6: minute-by-minute option-chain collection and analytics for Indian index options."""

__version__ = "0.1.0"
