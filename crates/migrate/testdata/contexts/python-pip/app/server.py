"""A small JSON service: what python-dateutil makes of a date."""
import argparse
import json
from http.server import BaseHTTPRequestHandler, HTTPServer

from dateutil import parser, relativedelta


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        start = parser.isoparse("2024-01-31T10:00:00+01:00")
        body = json.dumps({
            "start": start.isoformat(),
            "next_month": (start + relativedelta.relativedelta(months=1)).isoformat(),
            "path": self.path,
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    arguments = argparse.ArgumentParser()
    arguments.add_argument("--port", type=int, default=8000)
    port = arguments.parse_args().port
    HTTPServer(("0.0.0.0", port), Handler).serve_forever()
