"""Secret handling: the encrypted credential store, the secret key, the redactor."""
