"""Languages of the assistant: detection (offline) and the supported set."""

from .detect import SUPPORTED, detect_language

__all__ = ["SUPPORTED", "detect_language"]
