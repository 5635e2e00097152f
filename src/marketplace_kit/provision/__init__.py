"""Provisioning for real: the platform program driven through the Pulumi Automation API.

``settings`` resolves where a stack lives (backend, secrets, work dir), ``cli`` finds the Pulumi
CLI, ``workspace`` opens the stack, ``operations`` runs preview/up/destroy/refresh/outputs,
``progress`` turns engine events into a live display, ``teardown`` orders ``destroy`` so nothing
Kubernetes created keeps the VPC alive, and ``errors`` maps failures to one line and an exit code.
``doctor`` checks the machine and ``starter`` writes a new ``marketplace.yaml``.
"""
