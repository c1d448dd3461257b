"""OpenAPI fragment: account administration added with the security hardening (issue 9)."""
from oa_common import *  # noqa: F401,F403

TARGET = "EpiRegistry"

PATHS = {
    "/api/v1/users/{id}/active": {"post": {
        "operationId": "setUserActive",
        "summary": "Deactivate or reactivate an account in the caller's jurisdiction (its sessions end and its tokens stop working)",
        "parameters": [ID],
        "requestBody": body({"type": "object", "required": ["active"], "properties": {"active": {"type": "boolean"}}}),
        "responses": {"200": ok(data({"type": "object", "properties": {"id": {"type": "string"}, "active": {"type": "string"}}}))} | errors(401, 403, 404, 422)}},
}
SCHEMAS = {}
