"""Print one service's configuration reference (a Markdown table) from its settings class.

Run with the service's own interpreter, so the table is what the code reads (the fields the
settings class inherits from the service's base_settings.py included):
    <service>/.venv/bin/python overlays/config_reference.py <service>
overlays/config_reference.sh puts every service's table into the root README.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from pydantic_core import PydanticUndefined


def type_name(annotation: Any) -> str:
    text = annotation.__name__ if isinstance(annotation, type) else str(annotation)
    text = re.sub(r"\b(?:typing|pydantic\.types|decimal)\.", "", text).replace("NoneType", "None")
    return text.replace("|", "\\|")


def default(field: Any) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        return "computed at start-up"
    value = field.default
    if value is PydanticUndefined or value is None:
        return "unset"
    if isinstance(value, SecretStr):
        return "a local-only value"
    return f"`{value}`" if str(value) != "" else '`""`'


def kubernetes_keys(service: str) -> dict[str, str]:
    """Which variables the service's manifests set, and from where."""
    folder = Path(__file__).resolve().parent.parent / service / "kubernetes"
    found: dict[str, str] = {}
    for name, source in (("configmap.yaml", "ConfigMap"), ("secret.template.yaml", "Secret")):
        path = folder / name
        if path.exists():
            for key in re.findall(r"^\s+([A-Z][A-Z0-9_]+):", path.read_text(), re.MULTILINE):
                found[key] = source
    for path in folder.glob("*deployment.yaml"):
        for key in re.findall(r"^\s+- name: ([A-Z][A-Z0-9_]+)$", path.read_text(), re.MULTILINE):
            found.setdefault(key, "Deployment")
    return found


def main() -> None:
    service = sys.argv[1]
    settings = importlib.import_module(f"{service}.settings").Settings
    prefix = settings.model_config.get("env_prefix", "")
    print(f"#### {service}\n")
    # The fields the class inherits (base_settings.py, declared glue) come first, in its order;
    # a service re-declares one only to give it its own default.
    inherited = [
        name
        for name in settings.model_fields
        if any(name in getattr(base, "model_fields", {}) for base in settings.__mro__[1:])
    ]
    if inherited:
        print(f"The first {len(inherited)} rows are the settings every service names the same way")
        print("(`base_settings.py`, declared glue).\n")
    in_cluster = kubernetes_keys(service)
    print("| variable | type | default | in Kubernetes |")
    print("|---|---|---|---|")
    for name, field in settings.model_fields.items():
        variable = (prefix + name).upper()
        source = in_cluster.get(variable, "default")
        print(f"| `{variable}` | {type_name(field.annotation)} | {default(field)} | {source} |")
    print()


if __name__ == "__main__":
    main()
