"""Tools the model can call: local workspace tools, desktop tools behind a port, MCP servers.

Sits below the engine beside media/ and audio/: no textual, no engine, no tui, no live.
``model`` describes a tool, ``toolbox`` lists, declares and runs them, ``approval`` decides
who may run what, ``workspace`` confines paths, ``local`` and ``desktop`` are the built-in
tools, ``schema`` cleans foreign JSON Schemas for the Live API, ``mcp_client`` runs MCP
servers, ``settings`` parses the ``[tools]`` and ``[mcp.servers.*]`` config tables.
"""
