"""Helpers shared by gen_openapi.py and the feature fragments (scripts/oa_*.py)."""

def ref(name): return {"$ref": f"#/components/schemas/{name}"}
def ok(schema, desc="OK"): return {"description": desc, "content": {"application/json": {"schema": schema}}}
ERR = {"description": "Error", "content": {"application/json": {"schema": ref("Error")}}}
def errors(*codes): return {str(c): ERR for c in codes}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}
SLUG = {"name": "slug", "in": "path", "required": True, "description": "Unit path with dots, e.g. 01.007.00295", "schema": {"type": "string"}}
def data(schema): return {"type": "object", "required": ["data"], "properties": {"data": schema}}
def body(schema): return {"required": True, "content": {"application/json": {"schema": schema}}}

nullable_str = {"type": ["string", "null"]}
nullable_int = {"type": ["integer", "null"]}
def arr(schema): return {"type": "array", "items": schema}
def q(name, desc="", typ="string", required=False):
    p = {"name": name, "in": "query", "required": required, "schema": {"type": typ}}
    if desc: p["description"] = desc
    return p
def path_param(name, desc=""):
    p = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
    if desc: p["description"] = desc
    return p
