"""Certificates: a CA per customer, issuance policy from the inventory, installs and the CRL."""
