"""Secret handling: the redactor today, the encrypted credential store later."""
