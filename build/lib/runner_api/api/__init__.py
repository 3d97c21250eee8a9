"""HTTP boundary: dependencies, the error handlers, and the routers of the spine."""
