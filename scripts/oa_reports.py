"""OpenAPI fragment: reporting regime, command dashboard, message streams, tasks, duty rosters, hotlines."""
from oa_common import *  # noqa: F401,F403

TARGET = "EpiReporting"

CODE = path_param("code", "Template code, e.g. ward_daily or district_weekly")
PERIOD_PATH = path_param("period", "Daily period yyyy-mm-dd or weekly period yyyy-Www (ISO week)")
UNIT_SLUG = path_param("slug", "Submitting unit with dots, e.g. 01.007.00295")
PERIOD = q("period", "Period key (yyyy-mm-dd or yyyy-Www); default: the period being filled now")
UNIT = q("unit", "Unit to look at, with dots (01.007); must lie inside the caller's jurisdiction (else 404); default: the caller's unit")
KEY = {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 100},
       "description": "Sending the same key again returns the first outcome instead of doing the work twice"}
str_map = {"type": "object", "additionalProperties": {"type": "string"}}
int_map = {"type": "object", "additionalProperties": {"type": "integer"}}
nullable_int_map = {"type": "object", "additionalProperties": {"type": ["integer", "null"]}}
CSV = {"description": "CSV (UTF-8 with BOM): one row per expected unit, missing ones marked, then the total with n/N units reported",
       "content": {"text/csv": {"schema": {"type": "string"}}}}
XLSX = {"description": "Office Open XML workbook: sheet 1 consolidated rows and total, sheet 2 units not reported",
        "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}}

SCHEMAS = {
    "ReportField": {"type": "object", "required": ["key", "type", "label_vi", "label_en", "required", "choices"], "properties": {
        "key": {"type": "string"}, "type": {"type": "string", "enum": ["number", "text", "choice", "date"]},
        "label_vi": {"type": "string"}, "label_en": {"type": "string"}, "required": {"type": "boolean"},
        "min": {"type": "integer"}, "max": {"type": "integer"}, "choices": arr({"type": "string"}),
        "metric": {"type": "string", "description": "Live figure that pre-fills this number field; changing it needs a reason"},
        "window": {"type": "string", "enum": ["day", "week"], "description": "For daily metrics: sum over the report's day (default) or its ISO week"}}},
    "ReportDeadline": {"type": "object", "required": ["frequency", "hour", "minute", "next_day"], "properties": {
        "frequency": {"type": "string", "enum": ["daily", "weekly"]}, "weekday": {"type": "integer", "minimum": 1, "maximum": 7, "description": "Weekly: ISO weekday of the following week"},
        "hour": {"type": "integer"}, "minute": {"type": "integer"}, "next_day": {"type": "boolean", "description": "Daily: due the day after the period"}},
        "description": "Asia/Ho_Chi_Minh wall-clock time"},
    "ReportTemplate": {"type": "object", "required": ["id", "code", "version", "title_vi", "title_en", "deadline", "level", "fields", "active"], "properties": {
        "id": {"type": "string"}, "code": {"type": "string"}, "version": {"type": "integer"}, "title_vi": {"type": "string"}, "title_en": {"type": "string"},
        "deadline": ref("ReportDeadline"), "level": {"type": "string", "enum": ["ward", "district"]}, "fields": arr(ref("ReportField")),
        "active": {"type": "boolean"}, "created_at": {"type": "string"}, "created_by": {"type": "string"}}},
    "TemplateInput": {"type": "object", "required": ["code", "title_vi", "frequency", "time", "level", "fields_spec"], "properties": {
        "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]{2,39}$"}, "title_vi": {"type": "string"}, "title_en": {"type": "string"},
        "frequency": {"type": "string", "enum": ["daily", "weekly"]}, "weekday": {"type": "integer", "minimum": 1, "maximum": 7},
        "time": {"type": "string", "description": "HH:MM"}, "next_day": {"type": "boolean"}, "level": {"type": "string", "enum": ["ward", "district"]},
        "fields_spec": {"type": "string", "description": "One field per line: key; type; Vietnamese label; English label; options (required min= max= choices=A|B metric= window=)"},
        "active": {"type": "boolean"}}},
    "ReportSubmission": {"type": "object", "required": ["id", "template_code", "template_version", "unit_path", "period_key", "version", "values", "on_time"], "properties": {
        "id": {"type": "string"}, "template_code": {"type": "string"}, "template_version": {"type": "integer"}, "unit_path": {"type": "string"},
        "period_key": {"type": "string"}, "version": {"type": "integer", "description": "1 for the submission, 2… for corrections"},
        "values": str_map, "prefill": int_map, "reasons": str_map, "correction_reason": {"type": "string"},
        "submitted_at": {"type": "string"}, "submitted_by_name": {"type": "string"}, "deadline_at": {"type": "string"}, "on_time": {"type": "boolean"}}},
    "ReportView": {"type": "object", "required": ["history", "status", "deadline", "prefill", "template"], "properties": {
        "data": {"oneOf": [ref("ReportSubmission"), {"type": "null"}], "description": "The latest version, null before the first submission"},
        "history": arr(ref("ReportSubmission")), "status": {"type": "string", "enum": ["on_time", "late", "missing", "pending"]},
        "deadline": {"type": "string"}, "prefill": int_map, "template": ref("ReportTemplate")}},
    "SubmitInput": {"type": "object", "required": ["values"], "properties": {
        "values": {"type": "object", "additionalProperties": {"type": ["string", "integer"]}},
        "reasons": {**str_map, "description": "Per field: why a pre-filled figure was changed"},
        "correction_reason": {"type": "string", "description": "Required to correct an already submitted (locked) report; the old version is kept"}}},
    "Completeness": {"type": "object", "required": ["template", "period", "expected", "data"], "properties": {
        "template": {"type": "string"}, "period": {"type": "string"}, "deadline": {"type": "string"}, "unit_path": {"type": "string"},
        "expected": {"type": "integer"}, "on_time": {"type": "integer"}, "late": {"type": "integer"}, "missing": {"type": "integer"}, "pending": {"type": "integer"},
        "data": arr({"type": "object", "properties": {"unit_path": {"type": "string"}, "name": {"type": "string"},
                                                      "status": {"type": "string", "enum": ["on_time", "late", "missing", "pending"]},
                                                      "submitted_at": {"type": "string"}, "version": {"type": "integer"}, "reminders": {"type": "integer"}}})}},
    "Lateness": {"type": "object", "properties": {"periods": arr({"type": "string"}), "data": arr({"type": "object", "properties": {
        "unit_path": {"type": "string"}, "name": {"type": "string"}, "on_time": {"type": "integer"}, "late": {"type": "integer"}, "missing": {"type": "integer"},
        "repeatedly_late": {"type": "boolean"}, "statuses": arr({"type": "string"})}})}},
    "Consolidation": {"type": "object", "required": ["template", "period", "expected", "reported", "totals", "missing", "data"], "properties": {
        "template": {"type": "string"}, "template_version": {"type": "integer"}, "period": {"type": "string"}, "unit_path": {"type": "string"},
        "expected": {"type": "integer"}, "reported": {"type": "integer", "description": "Units whose latest version is counted (n of expected)"},
        "totals": {**nullable_int_map, "description": "Number fields summed over reporting units; null when no unit reported the field (never a silent zero)"},
        "missing": arr({"type": "string"}),
        "parts": arr({"type": "object", "properties": {"unit_path": {"type": "string"}, "name": {"type": "string"}, "expected": {"type": "integer"},
                                                      "reported": {"type": "integer"}, "totals": nullable_int_map}}),
        "data": arr({"type": "object", "properties": {"unit_path": {"type": "string"}, "name": {"type": "string"}, "reported": {"type": "boolean"},
                                                     "version": {"type": "integer"}, "on_time": {"type": "boolean"}, "values": str_map}})}},
    "Target": {"type": "object", "properties": {
        "id": {"type": "string"}, "unit_path": {"type": "string"}, "title_vi": {"type": "string"}, "title_en": {"type": "string"},
        "source": {"type": "string", "enum": ["metric", "report"]}, "source_key": {"type": "string", "description": "Metric key, or template_code.field_key"},
        "start_day": {"type": "string", "format": "date"}, "due_day": {"type": "string", "format": "date"}, "target_value": {"type": "integer"},
        "created_by_name": {"type": "string"}, "version": {"type": "integer"}}},
    "TargetProgress": {"type": "object", "properties": {"target": ref("Target"), "actual": nullable_int, "fraction": {"type": "number"},
        "expected_fraction": {"type": "number", "description": "Where the timeline says progress should be today"},
        "days_left": {"type": "integer"}, "source_vi": {"type": "string"}, "source_en": {"type": "string"}}},
    "Dashboard": {"type": "object", "properties": {
        "unit_path": {"type": "string"}, "unit_name": {"type": "string"}, "day": {"type": "string", "format": "date"},
        "figures": arr({"type": "object", "properties": {"metric": {"type": "string"}, "label_vi": {"type": "string"}, "label_en": {"type": "string"},
                                                        "value": {"type": "integer"}, "previous": {"type": "integer"}}}),
        "trends": arr({"type": "object", "properties": {"key": {"type": "string"}, "label_vi": {"type": "string"}, "label_en": {"type": "string"},
                                                       "source": {"type": "string", "enum": ["metric", "report"]}, "days": arr({"type": "string"}),
                                                       "values": arr({"type": ["integer", "null"]}), "bars": {"type": "boolean"},
                                                       "pending": arr({"type": "string", "format": "date", "description": "Days whose reports are not yet due: their value is null, not a partial sum"})}}),
        "reports": arr({"type": "object", "properties": {"code": {"type": "string"}, "title_vi": {"type": "string"}, "title_en": {"type": "string"},
                                                        "period_key": {"type": "string"}, "period_label_vi": {"type": "string"}, "period_label_en": {"type": "string"}, "deadline": {"type": "string"},
                                                        "expected": {"type": "integer"}, "on_time": {"type": "integer"}, "late": {"type": "integer"},
                                                        "missing": {"type": "integer"}, "pending": {"type": "integer"}}}),
        "reported_period": {"type": "string"}, "reported_period_key": {"type": "string"}, "reported_expected": {"type": "integer"}, "reported_count": {"type": "integer"},
        "reported": arr({"type": "object", "properties": {"key": {"type": "string"}, "label_vi": {"type": "string"}, "label_en": {"type": "string"},
                                                         "total": nullable_int, "answered": {"type": "integer"}}}),
        "grid": arr({"type": "object", "properties": {"unit_path": {"type": "string"}, "name": {"type": "string"}, "parent_name": {"type": "string"},
                                                     "level": nullable_int, "label_vi": {"type": "string"}, "label_en": {"type": "string"}, "color": {"type": "string"}}}),
        "targets": arr(ref("TargetProgress")),
        "alerts": arr({"type": "object", "properties": {"kind": {"type": "string"}, "severity": {"type": "string", "enum": ["info", "warning", "critical"]},
                                                       "unit_path": {"type": "string"}, "title_vi": {"type": "string"}, "title_en": {"type": "string"},
                                                       "link": {"type": "string"}, "since": {"type": "string"}}}),
        "alert_groups": arr({"type": "object", "description": "The alerts as the dashboard shows them: one line per late report and period, one per kind of other alert, most severe first, then the largest, then the longest overdue",
                             "properties": {"kind": {"type": "string"}, "severity": {"type": "string", "enum": ["info", "warning", "critical"]},
                                            "title_vi": {"type": "string"}, "title_en": {"type": "string"}, "count": {"type": "integer"},
                                            "link": nullable_str, "since": {"type": "string"},
                                            "items": arr({"type": "object", "properties": {"kind": {"type": "string"}, "severity": {"type": "string"}, "unit_path": {"type": "string"},
                                                                                          "title_vi": {"type": "string"}, "title_en": {"type": "string"}, "link": {"type": "string"}, "since": {"type": "string"}}})}}),
        "registered_people": nullable_int}},
    "StreamMessage": {"type": "object", "required": ["id", "unit_path", "author_name", "body", "urgent", "created_at"], "properties": {
        "id": {"type": "string"}, "unit_path": {"type": "string"}, "group_code": {"type": "string"}, "author_name": {"type": "string"}, "body": {"type": "string"},
        "urgent": {"type": "boolean"}, "submission_id": {"type": "string"}, "handled_at": {"type": "string"}, "handled_by_name": {"type": "string"},
        "created_at": {"type": "string"}, "version": {"type": "integer"}, "mentions": arr({"type": "string"})}},
    "Task": {"type": "object", "required": ["id", "title", "assignee_name", "due_at", "status"], "properties": {
        "id": {"type": "string"}, "unit_path": {"type": "string"}, "creator_unit_path": {"type": "string"}, "title": {"type": "string"}, "details": {"type": "string"},
        "assignee_user_id": {"type": "string"}, "assignee_name": {"type": "string"}, "due_at": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "in_progress", "done", "cancelled"]}, "created_by_name": {"type": "string"},
        "created_at": {"type": "string"}, "updated_at": {"type": "string"}, "done_at": {"type": "string"}, "version": {"type": "integer"}}},
    "DutyShift": {"type": "object", "properties": {"id": {"type": "string"}, "unit_path": {"type": "string"}, "person_name": {"type": "string"},
        "position": {"type": "string"}, "phone": {"type": "string"}, "starts_at": {"type": "string"}, "ends_at": {"type": "string"}, "created_by_name": {"type": "string"}}},
    "Hotline": {"type": "object", "properties": {"unit_path": {"type": "string"}, "phone": {"type": "string"}, "note": {"type": "string"},
        "updated_at": {"type": "string"}, "version": {"type": "integer"}}},
    "HotlineDirectory": {"type": "object", "properties": {"unit_path": {"type": "string"}, "name": {"type": "string"}, "data": arr({"type": "object", "properties": {
        "unit_path": {"type": "string"}, "name": {"type": "string"}, "hotline": {"type": "string"}, "note": {"type": "string"}, "has_children": {"type": "boolean"},
        "on_duty": arr({"type": "object", "properties": {"person_name": {"type": "string"}, "position": {"type": "string"}, "phone": {"type": "string"}, "until": {"type": "string"}}})}})}},
}

PATHS = {
    "/api/v1/reports": {"get": {"operationId": "listReports", "summary": "Active report templates (latest versions)", "tags": ["reports"],
        "responses": {"200": ok(data(arr(ref("ReportTemplate"))))} | errors(401, 403)}},
    "/api/v1/report-templates": {
        "get": {"operationId": "listReportTemplates", "summary": "Every template, inactive ones too", "tags": ["reports"],
                "responses": {"200": ok(data(arr(ref("ReportTemplate"))))} | errors(401, 403)},
        "post": {"operationId": "saveReportTemplate", "summary": "Create a template, or save a new version of an existing code (city)", "tags": ["reports"],
                 "parameters": [KEY], "requestBody": body(ref("TemplateInput")),
                 "responses": {"201": ok(data(ref("ReportTemplate")), "Created")} | errors(401, 403, 409, 422)}},
    "/api/v1/report-templates/{code}": {"get": {"operationId": "getReportTemplate", "summary": "A template and all its versions", "tags": ["reports"], "parameters": [CODE],
        "responses": {"200": ok({"type": "object", "properties": {"data": ref("ReportTemplate"), "versions": arr(ref("ReportTemplate"))}})} | errors(401, 403, 404)}},
    "/api/v1/reports/{code}/{period}/{slug}": {
        "get": {"operationId": "getReport", "summary": "A unit's report for a period: latest version, every version, live pre-fills, timeliness", "tags": ["reports"],
                "parameters": [CODE, PERIOD_PATH, UNIT_SLUG], "responses": {"200": ok(ref("ReportView"))} | errors(401, 403, 404, 422)},
        "post": {"operationId": "submitReport", "summary": "Submit (version 1, then locked) or correct (with correction_reason, a new version); repeats with the same Idempotency-Key create nothing",
                 "tags": ["reports"], "parameters": [CODE, PERIOD_PATH, UNIT_SLUG, KEY], "requestBody": body(ref("SubmitInput")),
                 "responses": {"201": ok(ref("ReportView"), "Created")} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/reports/{code}/completeness": {"get": {"operationId": "reportCompleteness", "summary": "Who submitted a period on time, late, or not at all, under a unit",
        "tags": ["reports"], "parameters": [CODE, PERIOD, UNIT], "responses": {"200": ok(ref("Completeness"))} | errors(401, 403, 404, 422)}},
    "/api/v1/reports/{code}/history": {"get": {"operationId": "reportLateness", "summary": "Timeliness of every unit over the last `count` periods ending at `period` (repeated lateness)",
        "tags": ["reports"], "parameters": [CODE, PERIOD, UNIT, q("count", "Periods, 1–120 (default 30)", "integer")],
        "responses": {"200": ok(ref("Lateness"))} | errors(401, 403, 404, 422)}},
    "/api/v1/reports/{code}/reminders": {"post": {"operationId": "remindUnits", "summary": "Send a reminder (đôn đốc) to units; recorded, audited and posted to their stream",
        "tags": ["reports"], "parameters": [CODE, KEY],
        "requestBody": body({"type": "object", "required": ["period", "units"], "properties": {"period": {"type": "string"}, "units": arr({"type": "string"}), "note": {"type": "string"}}}),
        "responses": {"201": ok({"type": "object", "properties": {"sent": {"type": "integer"}}}, "Created")} | errors(401, 403, 404, 422)}},
    "/api/v1/reports/{code}/consolidation": {"get": {"operationId": "reportConsolidation", "summary": "Totals from the latest versions under a unit, n/N units reported, missing units listed",
        "tags": ["reports"], "parameters": [CODE, PERIOD, UNIT], "responses": {"200": ok(ref("Consolidation"))} | errors(401, 403, 404, 422)}},
    "/api/v1/reports/{code}/consolidation.csv": {"get": {"operationId": "reportConsolidationCSV", "summary": "Consolidation as CSV (audited)", "tags": ["reports"],
        "parameters": [CODE, PERIOD, UNIT], "responses": {"200": CSV} | errors(401, 403, 404, 422)}},
    "/api/v1/reports/{code}/consolidation.xlsx": {"get": {"operationId": "reportConsolidationXLSX", "summary": "Consolidation as an XLSX workbook (audited)", "tags": ["reports"],
        "parameters": [CODE, PERIOD, UNIT], "responses": {"200": XLSX} | errors(401, 403, 404, 422)}},
    "/api/v1/dashboard": {"get": {"operationId": "dashboard", "summary": "The command dashboard of a unit: figures, 30-day trends, reporting, targets, grid, alerts",
        "tags": ["dashboard"], "parameters": [UNIT], "responses": {"200": ok(data(ref("Dashboard")))} | errors(401, 403, 404)}},
    "/api/v1/targets": {
        "get": {"operationId": "listTargets", "summary": "Targets set for a unit, with progress", "tags": ["dashboard"], "parameters": [UNIT],
                "responses": {"200": ok(data(arr(ref("TargetProgress"))))} | errors(401, 403, 404)},
        "post": {"operationId": "createTarget", "summary": "Set a dated target measured from a metric or a report field", "tags": ["dashboard"], "parameters": [KEY],
                 "requestBody": body({"type": "object", "required": ["title_vi", "source", "start_day", "due_day", "target_value"], "properties": {
                     "unit": {"type": "string"}, "title_vi": {"type": "string"}, "title_en": {"type": "string"},
                     "source": {"type": "string", "description": "metric:<key> or report:<template>.<field>"},
                     "start_day": {"type": "string", "description": "dd/mm/yyyy or yyyy-mm-dd"}, "due_day": {"type": "string"}, "target_value": {"type": "integer", "minimum": 1}}}),
                 "responses": {"201": ok(data(ref("Target")), "Created")} | errors(401, 403, 404, 422)}},
    "/api/v1/messages": {
        "get": {"operationId": "listMessages", "summary": "A unit's stream: posts in its subtree and posts mentioning it, newest first", "tags": ["messages"],
                "parameters": [UNIT, q("before", "next_cursor of the previous page"), q("limit", "1–200 (default 50)", "integer"), q("urgent", "1: open urgent posts only")],
                "responses": {"200": ok({"type": "object", "properties": {"data": arr(ref("StreamMessage")), "next_cursor": nullable_str}})} | errors(401, 403, 404)},
        "post": {"operationId": "postMessage", "summary": "Post to the caller's unit stream, mentioning units, optionally urgent or attached to a report", "tags": ["messages"],
                 "parameters": [KEY], "requestBody": body({"type": "object", "required": ["body"], "properties": {
                     "body": {"type": "string", "maxLength": 4000}, "urgent": {"type": "boolean"}, "mentions": arr({"type": "string"}), "submission_id": {"type": "string"}}}),
                 "responses": {"201": ok(data(ref("StreamMessage")), "Created")} | errors(401, 403, 404, 422)}},
    "/api/v1/messages/{id}/handled": {"post": {"operationId": "markMessageHandled", "summary": "Mark a post handled", "tags": ["messages"], "parameters": [ID],
        "responses": {"200": ok(data(ref("StreamMessage")))} | errors(401, 403, 404)}},
    "/api/v1/tasks": {
        "get": {"operationId": "listTasks", "summary": "Tasks visible to the caller (assigned to or set by units in scope, or to the caller)", "tags": ["tasks"],
                "parameters": [q("all", "1: include done and cancelled")],
                "responses": {"200": ok({"type": "object", "properties": {"data": arr(ref("Task")), "overdue": arr({"type": "string"})}})} | errors(401, 403)},
        "post": {"operationId": "createTask", "summary": "Assign a task to an official (assignee_user_id) or a unit (assignee_unit) with a deadline", "tags": ["tasks"],
                 "parameters": [KEY], "requestBody": body({"type": "object", "required": ["title", "due_at"], "properties": {
                     "title": {"type": "string"}, "details": {"type": "string"}, "due_at": {"type": "string", "description": "ISO instant, or dd/mm/yyyy hh:mm in Vietnam time"},
                     "assignee_user_id": {"type": "string"}, "assignee_unit": {"type": "string"}}}),
                 "responses": {"201": ok(data(ref("Task")), "Created")} | errors(401, 403, 404, 422)}},
    "/api/v1/tasks/{id}": {"get": {"operationId": "getTask", "summary": "A task with its status history", "tags": ["tasks"], "parameters": [ID],
        "responses": {"200": ok({"type": "object", "properties": {"data": ref("Task"), "overdue": {"type": "boolean"},
                                                                  "events": arr({"type": "object", "properties": {"status": {"type": "string"}, "note": {"type": "string"}, "at": {"type": "string"}, "by_name": {"type": "string"}}})}})} | errors(401, 403, 404)}},
    "/api/v1/tasks/{id}/status": {"post": {"operationId": "setTaskStatus", "summary": "Move a task along (assignee or a manager in the chain)", "tags": ["tasks"], "parameters": [ID],
        "requestBody": body({"type": "object", "required": ["status"], "properties": {"status": {"type": "string", "enum": ["open", "in_progress", "done", "cancelled"]},
                                                                                   "note": {"type": "string"}, "version": {"type": "integer"}}}),
        "responses": {"200": ok(data(ref("Task")))} | errors(401, 403, 404, 409, 422)}},
    "/api/v1/rosters": {"get": {"operationId": "getRoster", "summary": "A unit's duty shifts (from yesterday on) and hotline", "tags": ["rosters"], "parameters": [UNIT],
        "responses": {"200": ok({"type": "object", "properties": {"unit_path": {"type": "string"}, "hotline": ref("Hotline"), "data": arr(ref("DutyShift"))}})} | errors(401, 403, 404)}},
    "/api/v1/rosters/shifts": {"post": {"operationId": "addShift", "summary": "Add a duty shift", "tags": ["rosters"], "parameters": [KEY],
        "requestBody": body({"type": "object", "required": ["person_name", "phone", "starts_at", "ends_at"], "properties": {
            "unit": {"type": "string"}, "person_name": {"type": "string"}, "position": {"type": "string"}, "phone": {"type": "string"},
            "starts_at": {"type": "string", "description": "ISO instant, or dd/mm/yyyy hh:mm in Vietnam time"}, "ends_at": {"type": "string"}}}),
        "responses": {"201": ok(data(ref("DutyShift")), "Created")} | errors(401, 403, 404, 422)}},
    "/api/v1/rosters/hotline": {"put": {"operationId": "setHotline", "summary": "Set a unit's standing hotline", "tags": ["rosters"],
        "requestBody": body({"type": "object", "required": ["phone"], "properties": {"unit": {"type": "string"}, "phone": {"type": "string"}, "note": {"type": "string"}}}),
        "responses": {"200": ok(data(ref("Hotline")))} | errors(401, 403, 404, 422)}},
    "/api/v1/public/hotlines": {"get": {"operationId": "publicHotlines", "summary": "Public directory (no sign-in): a unit and those below it, hotline and who is on duty now",
        "tags": ["rosters"], "security": [], "parameters": [q("unit", "Unit with dots; default: the city")],
        "responses": {"200": ok(ref("HotlineDirectory"))} | errors(404)}},
}
