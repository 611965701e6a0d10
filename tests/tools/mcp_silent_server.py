"""A stdio "MCP server" that never answers ``initialize``, for the MCP client's failure tests.

Usage: python mcp_silent_server.py PID_FILE   (writes its process id there, then reads forever)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

Path(sys.argv[1]).write_text(str(os.getpid()))
for _line in sys.stdin:  # swallow every request, answer none
    pass
