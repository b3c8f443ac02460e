"""A tiny Flask service: /health answers with proof that the compiled extensions load."""

import os

import yaml
from flask import Flask
from markupsafe import _speedups

app = Flask(__name__)


@app.get("/health")
def health():
    speedups = "compiled" if _speedups.__file__.endswith(".so") else "python"
    document = yaml.safe_load("service: flask-hello\n")
    return f"ok {document['service']} markupsafe={speedups} uid={os.getuid()}\n"


if __name__ == "__main__":
    app.run(host="127.0.0.1", port=int(os.environ.get("PORT", "8080")))
