"""OpenAPI fragment: recording an F1's contacts and the city-wide recomputation job (issue 8)."""
from oa_common import *  # noqa: F401,F403

TARGET = "EpiTracing"

i = {"type": "integer"}
s = {"type": "string"}
ns = {"type": ["string", "null"]}
job = {"type": "object", "properties": {"id": s, "kind": s, "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
                                         "done": i, "total": i, "message": s, "created_by": s, "created_at": s, "started_at": ns, "finished_at": ns}}
row_error = {"type": "object", "properties": {"line": i, "column": ns, "message": s}}

PATHS = {
    "/api/v1/people/{id}/contacts": {"post": {
        "operationId": "addPersonContacts",
        "summary": "Record the contacts of a person with a level (an F1's F2s) or of an active F0; every row is checked before anything is saved",
        "parameters": [ID],
        "requestBody": body({"type": "object", "required": ["contacts"], "properties": {"contacts": arr({"$ref": "#/components/schemas/ContactInput"})}}),
        "responses": {"201": ok(data({"type": "object", "properties": {"added": i}}), "Created")} | errors(401, 403, 404, 422)}},
    "/api/v1/people/{id}/contacts/import": {"post": {
        "operationId": "importPersonContacts",
        "summary": "Import a contact list as CSV (ho_ten, so_dinh_danh, so_dien_thoai, ngay_tiep_xuc, hinh_thuc, muc_do, ma_phuong, to_dan_pho, ghi_chu): bad rows by line, good rows kept, a repeat adds nothing",
        "parameters": [ID],
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
        "responses": {"200": ok(data({"type": "object", "properties": {"total_rows": i, "added": i, "already_recorded": i, "failed": i, "errors": arr(row_error)}}))}
                     | errors(401, 403, 404, 413, 422)}},
    "/api/v1/rules/recompute-levels": {"post": {
        "operationId": "recomputeLevels",
        "summary": "Queue the city-wide recomputation of contact levels (a background job; progress in /api/v1/jobs)",
        "responses": {"202": ok(data({"type": "object", "properties": {"job_id": s}}), "Accepted")} | errors(401, 403)}},
    "/api/v1/jobs": {"get": {
        "operationId": "listJobs", "summary": "The newest background jobs with their progress",
        "responses": {"200": ok(data(arr(job)))} | errors(401, 403)}},
}
SCHEMAS = {}
