"""Validates an OpenAPI document (a JSON file) with openapi-spec-validator.

Prints {"valid": true} or {"valid": false, "errors": [...]} as JSON on stdout."""
import json
import sys

from openapi_spec_validator import OpenAPIV31SpecValidator

with open(sys.argv[1], encoding="utf-8") as f:
    doc = json.load(f)
errors = [
    f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}"
    for e in OpenAPIV31SpecValidator(doc).iter_errors()
]
print(json.dumps({"valid": not errors, "errors": errors[:20]}))
