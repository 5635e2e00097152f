"""The container contract: what the platform hands a service process (environment variable
names, mounted files). ``platform/service.py``, ``devrun`` and the service template read these
names from here; nothing else spells them."""

from __future__ import annotations

# --- tokens (the issuer signs; every other service verifies against its JWKS) ----------------
# Where the issuer's private keys are mounted: one ``<kid>.pem`` (PKCS#8, ES256) per key.
AUTH_SIGNING_KEYS_DIR = "AUTH_SIGNING_KEYS_DIR"
# The key id that signs new tokens (the others only stay published until their tokens expire).
AUTH_SIGNING_KID = "AUTH_SIGNING_KID"
# The issuer's JWK Set, fetched by every other service.
AUTH_JWKS_URL = "AUTH_JWKS_URL"
# The ``iss`` and ``aud`` every token carries and every service checks.
AUTH_JWT_ISSUER = "AUTH_JWT_ISSUER"
AUTH_JWT_AUDIENCE = "AUTH_JWT_AUDIENCE"
AUTH_TOKEN_TTL_SECONDS = "AUTH_TOKEN_TTL_SECONDS"
# The mount path of the signing-key Secret in the issuer's pod (read-only, mode 0440).
SIGNING_KEYS_MOUNT = "/var/run/secrets/marketplace/signing-keys"
# Paths under the issuer's route prefix.
JWKS_PATH = "/.well-known/jwks.json"
DISCOVERY_PATH = "/.well-known/openid-configuration"
