"""Customers: one folder each under inventories/, with their inventory and Fixline settings."""
