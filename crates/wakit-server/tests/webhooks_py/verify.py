"""Verifies wakit's webhook signatures with the standardwebhooks package (the reference
Python implementation of the Standard Webhooks spec).

Input (a JSON file): [{"secret", "id", "timestamp", "body", "signature"}, ...].
Output (stdout, JSON): one entry per input: true when Webhook(secret).verify accepted
the delivery, else the error's name and message."""

import json
import sys

from standardwebhooks import Webhook


def check(case):
    headers = {
        "webhook-id": case["id"],
        "webhook-timestamp": str(case["timestamp"]),
        "webhook-signature": case["signature"],
    }
    try:
        Webhook(case["secret"]).verify(case["body"], headers)
        return True
    except Exception as e:  # the verdict is the output
        return f"{type(e).__name__}: {e}"


with open(sys.argv[1], encoding="utf-8") as f:
    print(json.dumps([check(c) for c in json.load(f)]))
