"""Raw-source readers and downloaders, one subpackage per dataset (``toolhop``, ``mwpes``, ``evowiki``, ``triples``)."""
