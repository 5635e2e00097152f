"""Token signing keys: ES256 key files for the issuing service, key ids, rotation."""

from marketplace_kit.signing.keys import (
    ALGORITHM,
    generate_private_pem,
    new_kid,
    public_jwks,
    write_key_dir,
)

__all__ = ["ALGORITHM", "generate_private_pem", "new_kid", "public_jwks", "write_key_dir"]
