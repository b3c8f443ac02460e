import json, os, sys
print(json.dumps({"args": sys.argv[1:], "greeting": os.environ.get("GREETING"), "cwd": os.getcwd()}))
