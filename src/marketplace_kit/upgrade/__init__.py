"""``marketplace-kit upgrade --plan``: from what the stack's state says runs to the kit's pins.

``state_file`` reads a recorded state, ``running`` what it says runs, ``targets`` the kit's pins
(and the add-on builds per Kubernetes minor), ``steps`` the step model, ``rules`` the order,
``render`` the text.
"""
