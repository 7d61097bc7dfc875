"""Merge the gateway's and the app's CycloneDX SBOMs into one for the yakuba package, with the
timestamp and serial number fixed by SOURCE_DATE_EPOCH so that the bundle is reproducible.

    python3 packaging/sbom.py SOURCE_DATE_EPOCH OUT.json IN.json...
"""

import datetime
import hashlib
import json
import sys
import uuid


def main() -> None:
    epoch, out, *inputs = sys.argv[1:]
    boms = [json.load(open(path, encoding="utf-8")) for path in inputs]
    merged = boms[0]
    components = {}
    dependencies = {}
    for bom in boms:
        root = bom["metadata"]["component"]
        components[root["bom-ref"]] = root
        for component in bom.get("components", []):
            components.setdefault(component["bom-ref"], component)
        for dependency in bom.get("dependencies", []):
            dependencies.setdefault(dependency["ref"], dependency)
    package_ref = "yakuba"
    merged["metadata"]["component"] = {
        "type": "application",
        "bom-ref": package_ref,
        "name": "yakuba",
        "version": boms[0]["metadata"]["component"].get("version", ""),
        "description": "The yakuba package: yakuba-gateway and yakuba-app",
        "licenses": [{"expression": "Apache-2.0"}],
    }
    merged["components"] = sorted(components.values(), key=lambda c: c["bom-ref"])
    dependencies[package_ref] = {
        "ref": package_ref,
        "dependsOn": sorted(b["metadata"]["component"]["bom-ref"] for b in boms),
    }
    merged["dependencies"] = sorted(dependencies.values(), key=lambda d: d["ref"])
    merged["metadata"]["timestamp"] = (
        datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc)
        .isoformat()
        .replace("+00:00", "Z")
    )
    merged.pop("serialNumber", None)
    body = json.dumps(merged, sort_keys=True, ensure_ascii=False).encode()
    merged["serialNumber"] = "urn:uuid:" + str(uuid.UUID(bytes=hashlib.sha256(body).digest()[:16], version=5))
    with open(out, "w", encoding="utf-8") as f:
        json.dump(merged, f, indent=2, sort_keys=True, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
