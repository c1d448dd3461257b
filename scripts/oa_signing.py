"""OpenAPI fragment: the signing service's public trust list."""
from oa_common import *  # noqa: F401,F403

TARGET = "EpiSigning"

jwk = {"type": "object", "required": ["kty", "crv", "x", "y"], "properties": {
    "kty": {"type": "string", "const": "EC"}, "crv": {"type": "string", "const": "P-256"},
    "x": {"type": "string", "description": "base64url, no padding"}, "y": {"type": "string", "description": "base64url, no padding"}}}
trusted_key = {"type": "object", "required": ["kid", "kid_hex", "purpose", "alg", "jwk", "certificate", "not_before", "not_after"], "properties": {
    "kid": {"type": "string", "description": "first 8 bytes of SHA-256(certificate DER), base64"},
    "kid_hex": {"type": "string"},
    "purpose": {"type": "string", "enum": ["vaccination", "permit", "declaration"]},
    "alg": {"type": "string", "const": "ES256"},
    "jwk": ref("TrustedKeyJWK"),
    "certificate": {"type": "string", "description": "X.509 certificate, DER, base64"},
    "not_before": {"type": "string"}, "not_after": {"type": "string"}}}

PATHS = {
    "/api/v1/certificates/trust-list": {"get": {
        "operationId": "trustList", "security": [],
        "summary": "Every signing certificate this deployment has used (certificates, permits, declarations): what verifiers trust. Public.",
        "responses": {"200": ok({"type": "object", "required": ["keys"], "properties": {
            "keys": arr(ref("TrustedKey")), "generated_at": {"type": "string", "description": "When the list was made, by the real clock (ISO 8601, UTC)."},
            "clock": {"type": "string", "description": "The same moment by the deployment's data clock (a demo runs on a simulated day of 2021). Verifiers judge a code's dates by their clock moved by clock − generated_at."}}})}}},
}
SCHEMAS = {"TrustedKey": trusted_key, "TrustedKeyJWK": jwk}
