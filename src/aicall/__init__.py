"""aicall: self-hostable outbound calling platform, compatible with the AICall Cloud public API."""

__version__ = "0.1.0"
