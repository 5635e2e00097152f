"""What the EventBus records in a stack's state for other parts to read back (``upgrade``): its
component type token and the output naming the Strimzi release whose CRD file it applied.

No Pulumi import: ``upgrade --plan`` reads a recorded state without loading the SDK.
"""

from __future__ import annotations

EVENT_BUS_TYPE = "marketplace-kit:platform:EventBus"
STRIMZI_CRDS_OUTPUT = "strimzi_crds"  # the EventBus output naming the Strimzi CRDs' release
