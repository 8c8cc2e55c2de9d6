"""flowscan: which personal data does this code send to which third party."""

__version__ = "0.1.0"
