"""A fake `pulumi` executable for the provisioning tests (see fake_pulumi.py and harness.py)."""
