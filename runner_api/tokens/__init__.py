"""The admins' API of integration tokens: create within one's own scope, list, revoke."""
