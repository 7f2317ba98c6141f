"""Scrape /metrics and parse it with the Prometheus client's own parser.

Prints one JSON object: {"families": {name: type}, "samples": {"name{labels}": value}}.
Exits non-zero if the text does not parse, so the Rust test fails with the reason.
"""
import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def main() -> None:
    url, token = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "")
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=10) as response:
        content_type = response.headers.get("Content-Type", "")
        text = response.read().decode("utf-8")
    families = {}
    samples = {}
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    print(json.dumps({"contentType": content_type, "families": families, "samples": samples}))


if __name__ == "__main__":
    main()
