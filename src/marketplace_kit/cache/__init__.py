"""What the kit caches on disk (plans, schema verdicts): keyed JSON entries and the fingerprint
of the installed kit that every key includes."""
