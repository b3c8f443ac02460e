from flask import Flask, jsonify, request

app = Flask(__name__)


@app.get("/<path:name>")
def hello(name):
    return jsonify(name=name, agent=request.headers.get("Host"))
