"""ccstats: contact-centre statistics, compatible with VCC Live's userbased API."""

__version__ = "0.1.0"
