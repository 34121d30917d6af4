"""Parameter types for step patterns.

parse's default {} matches anything, quotes included, so `I GET "{path}"`
would also swallow `I GET "/x" followed by …` and behave would refuse the
two patterns as ambiguous. Narrow types keep every pattern unambiguous and
let a quoted string be empty.
"""
import parse
from behave import register_type


@parse.with_pattern(r"/[^\"\s]*")
def _path(text):
    return text


@parse.with_pattern(r"[^\"\s]+")
def _key(text):
    return text


@parse.with_pattern(r"[^\"]*")
def _text(text):
    return text


# Path: "/api/v1/greet?name=a%20b" (no spaces, no quotes).
# Key: a JSON path, header or config key ("connections.rpc.status").
# Text: any quoted string without a double quote, possibly empty.
register_type(Path=_path, Key=_key, Text=_text)
