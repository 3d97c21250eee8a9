"""What every router uses, whatever its feature: the error shape, one-pass JSON answers and
the services a route depends on. It imports no feature, so every feature may import it."""
