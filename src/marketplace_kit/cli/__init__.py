"""The ``marketplace-kit`` command line: thin commands over the kit's modules."""
