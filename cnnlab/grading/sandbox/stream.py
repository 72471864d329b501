"""Reading the launcher's output stream back in the grader.

The stream (written by :mod:`.launcher`) is JSON header lines: messages (``{"status": ...}``,
``{"error": ...}``, ``{"end": true}``) and, per output file, ``{"name": ..., "size": n}``
followed by exactly n raw bytes. The command inside could have written to it too, so nothing
in it is trusted: a bad header ends the reading, and only plain relative names (and only those
asked for) within the byte budget are kept.
"""

import json

from .checks import check_name


def parse_stream(data, wanted, budget):
    """Split the launcher's stream into messages and (name, bytes) files.

    Inputs:
    - data: bytes: JSON header lines, each file's header followed by ``size`` raw bytes
    - wanted: list of names the caller asked for, or None for any
    - budget: int, most bytes of files accepted in total; the rest is dropped
    Returns a tuple of:
    - messages: list of the header dicts that are not files, in stream order
    - files: list of (name, bytes), in stream order
    """
    messages, files, pos = [], [], 0
    while pos < len(data):
        end = data.find(b"\n", pos, pos + 8192)
        if end < 0:
            break
        try:
            header = json.loads(data[pos:end])
        except ValueError:
            break
        pos = end + 1
        if not isinstance(header, dict):
            break
        if "name" not in header:
            messages.append(header)
            continue
        name, size = header.get("name"), header.get("size")
        if not isinstance(size, int) or size < 0 or pos + size > len(data):
            break
        body, pos = data[pos:pos + size], pos + size
        try:
            check_name(name, "an output name")
        except ValueError:
            continue
        if (wanted is None or name in wanted) and size <= budget:
            files.append((name, body))
            budget -= size
    return messages, files
