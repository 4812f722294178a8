"""API tokens and outgoing webhook endpoints over HTTP."""
