import argparse
import sys
from importlib.metadata import version


def main():
    arguments = argparse.ArgumentParser(prog="worker")
    arguments.add_argument("--queue", required=True)
    queue = arguments.parse_args().queue
    print(f"worker {version('worker')} on queue {queue!r}, python {sys.version_info.major}.{sys.version_info.minor}")
