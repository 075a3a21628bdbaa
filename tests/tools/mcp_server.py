"""A small MCP server for the tests, written with the SDK's MCPServer class.

``python mcp_server.py`` serves stdio; ``python mcp_server.py http PORT`` serves streamable
HTTP on 127.0.0.1:PORT; the ``crash`` tool exits the process (a crashing server).
"""

from __future__ import annotations

import os
import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("test-tools")


@server.tool(description="Add two numbers.")
def add(a: int, b: int) -> int:
    return a + b


@server.tool(description="Echo a text back.")
def echo(text: str) -> str:
    return text


@server.tool(description="Fail on purpose.")
def fail() -> str:
    raise ValueError("failed on purpose")


@server.tool(description="Exit the server process at once.")
def crash() -> str:
    os._exit(3)


@server.tool(description="Read an environment variable.")
def env(name: str) -> str:
    return os.environ.get(name, "")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        server.run()
