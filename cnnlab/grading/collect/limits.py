"""The caps that keep a hostile or broken download from using up memory, disk or time."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Caps that keep a hostile or broken download from using up memory, disk or time."""

    max_entries: int = 10_000  # files in the source
    max_notebook_bytes: int = 20 * 2**20  # one notebook, uncompressed
    max_total_bytes: int = 2**30  # all notebooks read, uncompressed

    def __post_init__(self):
        for key, value in vars(self).items():
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{key} must be a positive int, got {value!r}")
