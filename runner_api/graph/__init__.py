"""Entra ID through Microsoft Graph: the `GraphGateway` seam and its httpx + msal
implementation `HttpGraph` (one verified client and one msal app per customer)."""

from runner_api.graph.gateway import Budget, GraphCall, GraphGateway
from runner_api.graph.http_gateway import HttpGraph

__all__ = ["Budget", "GraphCall", "GraphGateway", "HttpGraph"]
