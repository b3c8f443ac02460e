import argparse
import json
import os
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"api": "0.3.0", "data": os.path.isdir("/app/data"), "path": self.path}).encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)


arguments = argparse.ArgumentParser(prog="api")
arguments.add_argument("--bind", default="0.0.0.0:8010")
host, port = arguments.parse_args().bind.rsplit(":", 1)
HTTPServer((host, int(port)), Handler).serve_forever()
