#!/usr/bin/env python3
"""Writes the OpenAPI 3.1 description of /api/v1, one part per target:
Sources/EpiPlatform/Resources/openapi.json (the frame: info, security, the error envelope) and
Sources/<Target>/Resources/openapi.json (that capability's paths and schemas). The server merges
them at start (`APIDocument.merge`) and serves the whole at /api/openapi.json.

Run after changing the API: python3 scripts/gen_openapi.py
"""
import json, pathlib

import sys
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from oa_common import *  # noqa: F401,F403 - ref, ok, errors, data, body, ...

person = {"type": "object", "required": ["id", "full_name", "unit_path", "residence_status", "version"], "properties": {
    "id": {"type": "string", "format": "uuid"}, "full_name": {"type": "string"}, "name_folded": {"type": "string"}, "given_folded": {"type": "string"},
    "sex": {"type": ["string", "null"], "enum": ["male", "female", None]}, "birth_date": {"type": ["string", "null"], "format": "date"},
    "citizen_id": nullable_str, "old_id": nullable_str, "phone": {"type": ["string", "null"], "description": "E.164"},
    "address": {"type": "string"}, "unit_path": {"type": "string"}, "group_code": nullable_str, "household_code": nullable_str,
    "residence_status": {"type": "string", "enum": ["permanent", "temporary", "short_stay"]}, "resident_until": {"type": ["string", "null"], "format": "date"},
    "merged_into": nullable_str, "created_at": {"type": "string"}, "updated_at": {"type": "string"}, "version": {"type": "integer"}}}
person_input = {"type": "object", "properties": {
    "full_name": {"type": "string"}, "sex": {"type": "string", "description": "male/female or nam/nữ"},
    "birth_date": {"type": "string", "description": "dd/mm/yyyy or yyyy-mm-dd"}, "citizen_id": {"type": "string", "description": "CCCD (12 digits) or CMND (9)"},
    "old_id": {"type": "string"}, "phone": {"type": "string"}, "address": {"type": "string"},
    "unit": {"type": "string", "description": "Ward path (01/007/00295) or ward code (00295); defaults to the caller's ward"},
    "group_code": {"type": "string"}, "household_code": {"type": "string"},
    "residence_status": {"type": "string", "enum": ["permanent", "temporary", "short_stay"]}, "resident_until": {"type": "string"},
    "version": {"type": "integer", "description": "For updates: the version read; a stale version answers 409"},
    "confirm_duplicate": {"type": "boolean", "description": "Save although a person with the same name and birth date exists in the district"}}}
unit = {"type": "object", "properties": {"path": {"type": "string"}, "code": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string"},
    "parent_path": nullable_str, "population": {"type": ["integer", "null"]}, "valid_from": {"type": "string"}, "valid_to": nullable_str}}
audit = {"type": "object", "properties": {k: {"type": "string"} for k in ["id", "occurred_at", "username", "action", "entity_type", "summary"]} |
    {"user_id": nullable_str, "entity_id": nullable_str, "unit_path": nullable_str, "changes": {"type": ["string", "null"], "description": "JSON array of {field, old, new}"}}}
report = {"type": "object", "properties": {"import_id": {"type": "string"}, "total_rows": {"type": "integer"}, "inserted": {"type": "integer"},
    "duplicates": {"type": "integer"}, "failed": {"type": "integer"}, "previous_import_at": nullable_str,
    "errors": {"type": "array", "items": {"type": "object", "properties": {"line": {"type": "integer"}, "column": nullable_str, "message": {"type": "string"}}}}}}
error = {"type": "object", "required": ["error"], "properties": {"error": {"type": "object", "required": ["code", "message"], "properties": {
    "code": {"type": "string"}, "message": {"type": "string"}, "details": {"type": "object", "additionalProperties": {"type": "string"}}}}}}

frame = {
  "openapi": "3.1.0",
  "info": {"title": "EpiCommand API", "version": "1.0.0",
           "description": "JSON API of the EpiCommand epidemic command center. Authenticate with `Authorization: Bearer <token>` (issued by `epicommand user token`). Browser sessions may call it too, sending the page's CSRF token in `X-CSRF-Token` on writes. Every answer is scoped to the caller's jurisdiction: records outside it answer 404. Errors use one envelope: {\"error\": {\"code\", \"message\", \"details\"}}; messages follow the `lang` cookie (vi default)."},
  "servers": [{"url": "/"}],
  "security": [{"bearer": []}, {"session": []}],
  "paths": {},
  "components": {
    "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}, "session": {"type": "apiKey", "in": "cookie", "name": "epi_session"}},
    "schemas": {"Error": error}},
}
# The registry's own endpoints (people, residents, units, users, audit); the other capabilities' are in scripts/oa_<feature>.py.
registry = {
  "paths": {
    "/api/v1/me": {"get": {"operationId": "me", "summary": "The caller: role, unit, permissions", "responses": {"200": ok({"type": "object"})} | errors(401)}},
    "/api/v1/people": {
      "get": {"operationId": "listPeople", "summary": "Search people (name with or without diacritics, citizen ID, or phone), keyset-paginated",
              "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}, {"name": "after", "in": "query", "schema": {"type": "string"}, "description": "next_cursor of the previous page"},
                             {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}],
              "responses": {"200": ok({"type": "object", "properties": {"data": {"type": "array", "items": ref("Person")}, "next_cursor": nullable_str}})} | errors(401, 403)},
      "post": {"operationId": "createPerson", "summary": "Register a person", "requestBody": body(ref("PersonInput")),
               "responses": {"201": ok({"type": "object", "properties": {"data": ref("Person"), "warnings": {"type": "array", "items": {"type": "string"}}}}, "Created")} | errors(401, 403, 409, 422)}},
    "/api/v1/people/{id}": {
      "get": {"operationId": "getPerson", "summary": "One person (the view is audited)", "parameters": [ID], "responses": {"200": ok(data(ref("Person")))} | errors(401, 403, 404)},
      "put": {"operationId": "updatePerson", "summary": "Edit a person (optimistic locking with version)", "parameters": [ID], "requestBody": body(ref("PersonInput")),
              "responses": {"200": ok({"type": "object", "properties": {"data": ref("Person"), "warnings": {"type": "array", "items": {"type": "string"}}}})} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/people/{id}/merge": {"post": {"operationId": "mergePerson", "summary": "Merge a duplicate into this person; the duplicate is kept, marked merged",
        "parameters": [ID], "requestBody": body({"type": "object", "required": ["duplicate_id"], "properties": {"duplicate_id": {"type": "string"}}}),
        "responses": {"200": ok(data(ref("Person")))} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/people/{id}/history": {"get": {"operationId": "personHistory", "summary": "Audit history of a person, newest first", "parameters": [ID],
        "responses": {"200": ok(data({"type": "array", "items": ref("AuditEntry")}))} | errors(401, 403, 404)}},
    "/api/v1/residents/import": {"post": {"operationId": "importResidents", "summary": "Import a resident list CSV into a ward: bad rows reported, good rows kept, re-import adds nothing",
        "parameters": [{"name": "unit", "in": "query", "required": True, "schema": {"type": "string"}, "description": "Ward, e.g. 01.007.00295"},
                       {"name": "filename", "in": "query", "schema": {"type": "string"}}],
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
        "responses": {"200": ok(data(ref("ImportReport")))} | errors(401, 403, 404, 422)}},
    "/api/v1/residents/export.csv": {"get": {"operationId": "exportResidents", "summary": "CSV of temporary and short-stay residents (or the statuses given)",
        "parameters": [{"name": "unit", "in": "query", "schema": {"type": "string"}}, {"name": "status", "in": "query", "schema": {"type": "string"}, "description": "comma-separated: permanent,temporary,short_stay"}],
        "responses": {"200": {"description": "CSV", "content": {"text/csv": {"schema": {"type": "string"}}}}} | errors(401, 403, 404)}},
    "/api/v1/units": {"get": {"operationId": "listUnits", "summary": "Root units, or the children of ?parent=01.007",
        "parameters": [{"name": "parent", "in": "query", "schema": {"type": "string"}}], "responses": {"200": ok(data({"type": "array", "items": ref("Unit")}))} | errors(401)}},
    "/api/v1/units/{slug}": {"get": {"operationId": "getUnit", "summary": "A unit and its children", "parameters": [SLUG],
        "responses": {"200": ok({"type": "object", "properties": {"data": ref("Unit"), "children": {"type": "array", "items": ref("Unit")}}})} | errors(401, 404)}},
    "/api/v1/units/{slug}/groups": {"post": {"operationId": "addGroup", "summary": "Add a residential group (tổ dân phố/thôn) to a ward", "parameters": [SLUG],
        "requestBody": body({"type": "object", "required": ["code", "name"], "properties": {"code": {"type": "string"}, "name": {"type": "string"}, "kind": {"type": "string", "enum": ["to_dan_pho", "thon"]}}}),
        "responses": {"201": ok(data(ref("Unit")), "Created")} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/units/{slug}/population": {"put": {"operationId": "setPopulation", "summary": "Set a unit's population (city command)", "parameters": [SLUG],
        "requestBody": body({"type": "object", "required": ["population"], "properties": {"population": {"type": "integer", "minimum": 0}}}),
        "responses": {"200": ok(data(ref("Unit")))} | errors(401, 403, 404, 422)}},
    "/api/v1/units/populations": {"post": {"operationId": "importPopulations", "summary": "Set populations from CSV (columns ma, dan_so): bad lines reported, good lines applied",
        "requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}},
        "responses": {"200": ok(data({"type": "object", "properties": {"updated": {"type": "integer"}, "errors": {"type": "array", "items": {"type": "object"}}}}))} | errors(401, 403, 422)}},
    "/api/v1/users": {"get": {"operationId": "listUsers", "summary": "Accounts in the caller's jurisdiction", "responses": {"200": ok(data({"type": "array", "items": {"type": "object"}}))} | errors(401, 403)}},
    "/api/v1/audit": {"get": {"operationId": "searchAudit", "summary": "Audit search in the caller's jurisdiction (200 newest matches)",
        "parameters": [{"name": n, "in": "query", "schema": {"type": "string"}} for n in ["username", "action", "entity_id", "day", "before"]],
        "responses": {"200": ok(data({"type": "array", "items": ref("AuditEntry")}))} | errors(401, 403)}},
  },
  "components": {"schemas": {"Person": person, "PersonInput": person_input, "Unit": unit, "AuditEntry": audit, "ImportReport": report}},
}
# Each feature describes its own endpoints in scripts/oa_<feature>.py (TARGET, PATHS and SCHEMAS).
import importlib.util
root = pathlib.Path(__file__).resolve().parent.parent
parts = {"EpiRegistry": registry}
for fragment in sorted(pathlib.Path(__file__).resolve().parent.glob("oa_*.py")):
    if fragment.name == "oa_common.py":
        continue
    spec = importlib.util.spec_from_file_location(fragment.stem, fragment)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    part = parts.setdefault(module.TARGET, {"paths": {}, "components": {"schemas": {}}})
    clash = set(module.PATHS) & set(part["paths"]) | set(module.SCHEMAS) & set(part["components"]["schemas"])
    if clash:
        raise SystemExit(f"{fragment.name} redefines {sorted(clash)}")
    part["paths"].update(module.PATHS)
    part["components"]["schemas"].update(module.SCHEMAS)
# The server refuses to start when two parts define the same path or schema; refuse here first.
seen = {}
for target, part in [("EpiPlatform", frame)] + sorted(parts.items()):
    for key in list(part["paths"]) + list(part["components"]["schemas"]):
        if key in seen:
            raise SystemExit(f"{target} redefines {key} (already in {seen[key]})")
        seen[key] = target
for target, part in [("EpiPlatform", frame)] + sorted(parts.items()):
    out = root / "Sources" / target / "Resources" / "openapi.json"
    out.write_text(json.dumps(part, ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {out.relative_to(root)}: {len(part['paths'])} paths, {len(part['components']['schemas'])} schemas")
