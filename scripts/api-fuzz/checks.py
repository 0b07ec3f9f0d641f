"""Huoshui's own check for the schema-driven API fuzzer (loaded through SCHEMATHESIS_HOOKS).

`refusal_is_documented`: every error answer's `code` must be one the OpenAPI document names (in
backticks) for that operation and status, and a request the fuzzer generated as VALID by the
document must never be refused for its shape (a malformed body, an unknown field, a bad
header...) — only for a reason the document states (a product rule, a state, a missing record).
"""

import json
import os
import re

import schemathesis

# Refusals about the request's shape: a request valid by the document never gets one.
SHAPE_CODES = {
    "malformed_json",
    "invalid_fields",
    "unsupported_media_type",
    "bad_body",
    "bad_query",
    "too_large",
    "idempotency_key_missing",
    "idempotency_key_invalid",
    "application_id_invalid",
    "invalid_phone",
    "route_not_found",
    "method_not_allowed",
}

with open(os.environ["HUOSHUI_OPENAPI_FILE"], encoding="utf-8") as f:
    DOCUMENT = json.load(f)


def documented_codes(path: str, method: str, status: int) -> set[str]:
    op = DOCUMENT.get("paths", {}).get(path, {}).get(method.lower(), {})
    response = op.get("responses", {}).get(str(status), {})
    return set(re.findall(r"`([a-z0-9_]+)`", response.get("description", "")))


@schemathesis.check
def refusal_is_documented(ctx, response, case):
    if not 400 <= response.status_code < 500 or response.status_code == 405:
        return None
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return None  # content_type_conformance / response_schema_conformance report it
    code = (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None
    if not code:
        return None
    label = f"{case.method} {case.operation.path}"
    codes = documented_codes(case.operation.path, case.method, response.status_code)
    if code not in codes:
        raise AssertionError(
            f"{label}: {response.status_code} `{code}` is not among the codes the document names for it: {sorted(codes)}"
        )
    meta = case.meta
    positive = meta is not None and meta.generation.mode.is_positive
    if positive and code in SHAPE_CODES:
        raise AssertionError(
            f"{label}: a request valid by the document was refused as malformed: {response.status_code} `{code}`"
        )
    return None
