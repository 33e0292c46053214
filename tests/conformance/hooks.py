"""Schemathesis hooks for the conformance run (tests/conformance.rs).

`refusals_are_documented` stands in for schemathesis' own `positive_data_acceptance`, which
fails every 400/422 answer to a request valid by the document. It is as strict for every rule a
JSON Schema can state (lengths, patterns, formats, ranges), but a rule no schema can state (one
field before another, a check digit, a reference to a row that must exist) is described in the
operation's `x-field-rules` instead, with the field error code it gets; a 422 whose every field
error is such a documented rule is what the document promises, so it passes. Anything else a
valid request is refused with fails the run.
"""

import re

import schemathesis

# Refusals for the state of things, not the form of the request (as positive_data_acceptance).
STATE_STATUSES = {401, 403, 404, 409, 429}


def _probe(case):
    """Coverage probes of the request's shape (e.g. another method) expect no acceptance."""
    try:
        from schemathesis.specs.openapi.checks import is_unexpected_http_status_case
    except ImportError:
        return False
    return is_unexpected_http_status_case(case)


def _reused_key(case, response):
    """A key sent again with another request: the Idempotency-Key parameter documents the 422.

    The generator draws keys from a small alphabet, so it repeats them across requests."""
    if response.status_code != 422 or not (case.headers or {}).get("Idempotency-Key"):
        return False
    try:
        return response.json().get("code") == "idempotency_key_reused"
    except ValueError:
        return False


@schemathesis.check
def refusals_are_documented(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or _probe(case):
        return None
    status = response.status_code
    if status < 400 or status >= 500 or status in STATE_STATUSES:
        return None
    if _reused_key(case, response):
        return None
    rules = case.operation.definition.raw.get("x-field-rules") or []
    documented = {(rule["field"], rule["code"]) for rule in rules}
    errors = []
    if status == 422:
        try:
            errors = response.json().get("errors") or []
        except ValueError:
            errors = []
    undocumented = [
        error
        for error in errors
        if (re.sub(r"\[\d+\]", "[i]", error.get("field", "")), error.get("code"))
        not in documented
    ]
    if not errors or undocumented:
        raise AssertionError(
            f"A request valid by the document was refused with {status}, "
            f"for a rule its schema and x-field-rules do not state: "
            f"{undocumented or response.text}"
        )
    return None
