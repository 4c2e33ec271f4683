"""chainwatch: industrial-chain monitoring and early warning for a city bureau."""

__version__ = "0.1.0"
