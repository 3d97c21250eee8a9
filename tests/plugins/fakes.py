"""The fast tier's app: the real Core and API on in-process fakes of the outside systems."""
