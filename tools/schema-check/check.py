#!/usr/bin/env python3
"""Validates Kubernetes manifests strictly (an unknown field is an error) against Kubernetes' own
schemas of each version given, as kubernetes-validate ships them (no network).

usage: check.py --kubernetes 1.25,1.27 FILE...

Kinds Kubernetes has no schema for:
- a ClusterServiceVersion (OLM's kind) is checked as what OLM makes of it: each deployment of
  spec.install.spec.deployments as an apps/v1 Deployment, and each alm-examples resource against
  the schema of its CRD;
- a custom resource whose CustomResourceDefinition is among the files is checked against that
  CRD's openAPIV3Schema, made strict as the API server's strict field validation is (a field the
  schema does not name is an error unless x-kubernetes-preserve-unknown-fields allows it);
- any other kind is an error: a cluster of these versions would refuse it.

Prints one line per object and exits 1 when any object fails a version.
"""

import argparse
import copy
import json
import sys

import jsonschema
import yaml
from kubernetes_validate import utils


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kubernetes", required=True,
                        help="comma-separated Kubernetes versions, e.g. 1.25,1.31")
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    versions = [version.strip() for version in args.kubernetes.split(",") if version.strip()]
    shipped = {utils.major_minor(version) for version in utils.all_versions()}
    unknown = [version for version in versions if utils.major_minor(version) not in shipped]
    if unknown:
        print("FATAL kubernetes-validate %s ships no schemas for Kubernetes %s (it has %s)"
              % (utils.__version__, ", ".join(unknown), ", ".join(sorted(shipped))))
        return 2

    objects = []
    for name in args.files:
        with open(name) as file:
            try:
                documents = list(yaml.safe_load_all(file))
            except yaml.YAMLError as error:
                print("ERROR  %s: not YAML: %s" % (name, error))
                return 1
        for document in documents:
            if not document:
                continue
            if document.get("kind") == "List":
                objects.extend((name, item) for item in document.get("items") or [])
            else:
                objects.append((name, document))

    crds = {}
    for _, document in objects:
        if document.get("kind") == "CustomResourceDefinition":
            spec = document.get("spec") or {}
            for version in spec.get("versions") or []:
                schema = (version.get("schema") or {}).get("openAPIV3Schema")
                if schema is not None:
                    key = ("%s/%s" % (spec.get("group"), version.get("name")),
                           (spec.get("names") or {}).get("kind"))
                    crds[key] = strict_crd_schema(schema)

    failed = 0
    for name, document in objects:
        for label, resource in expand(name, document):
            failed += check(label, resource, versions, crds)
    print("%d object%s checked against Kubernetes %s, %d failed"
          % (len(objects), "" if len(objects) == 1 else "s", ", ".join(versions), failed))
    return 1 if failed else 0


def expand(name, document):
    """The object itself, or for a CSV what OLM creates from it."""
    label = "%s %s/%s" % (name, document.get("kind"), (document.get("metadata") or {}).get("name"))
    if document.get("kind") != "ClusterServiceVersion":
        return [(label, document)]
    spec = document.get("spec") or {}
    made = []
    deployments = 0
    for deployment in ((spec.get("install") or {}).get("spec") or {}).get("deployments") or []:
        metadata = {"name": deployment.get("name")}
        if deployment.get("label"):
            metadata["labels"] = deployment["label"]
        made.append(("%s deployment %s" % (label, deployment.get("name")), {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": metadata,
            "spec": deployment.get("spec"),
        }))
        deployments += 1
    examples = ((document.get("metadata") or {}).get("annotations") or {}).get("alm-examples")
    if examples:
        try:
            resources = json.loads(examples)
        except ValueError as error:
            print("ERROR  %s: alm-examples is not JSON: %s" % (label, error))
            resources = []
        for resource in resources:
            made.append(("%s alm-examples %s" % (label, resource.get("kind")), resource))
    print("note   %s: OLM's kind, which Kubernetes has no schema for: checked as its %d "
          "deployments and %d alm-examples resources" % (label, deployments, len(made) - deployments))
    return made


def check(label, resource, versions, crds):
    """1 when the resource fails any version, else 0; prints what it found."""
    key = (resource.get("apiVersion"), resource.get("kind"))
    if key in crds:
        validator = jsonschema.Draft7Validator(crds[key])
        errors = sorted(validator.iter_errors(resource), key=lambda error: list(error.path))
        if errors:
            for error in errors:
                print("ERROR  %s: against its CRD's schema: %s: %s"
                      % (label, path(error), error.message))
            return 1
        print("ok     %s (its CRD's schema, strict)" % label)
        return 0
    failures = []
    for version in versions:
        try:
            utils.validate(resource, version, strict=True)
        except utils.ValidationError as error:
            failures.append("Kubernetes %s: %s: %s" % (version, path(error), error.message))
        except utils.SchemaNotFoundError as error:
            failures.append("Kubernetes %s has no %s %s, and no CRD among these files defines it"
                            % (version, error.api_version, error.kind))
    if failures:
        for failure in failures:
            print("ERROR  %s: %s" % (label, failure))
        return 1
    print("ok     %s (Kubernetes %s, strict)" % (label, ", ".join(versions)))
    return 0


def path(error):
    return ".".join(str(part) for part in error.path) or "(the object)"


def strict_crd_schema(schema):
    """The CRD's schema with every object that names its properties closed to others, as the API
    server's strict field validation treats fields its structural schema would prune."""
    schema = copy.deepcopy(schema)

    def close(node):
        if isinstance(node, list):
            for item in node:
                close(item)
            return
        if not isinstance(node, dict):
            return
        if ("properties" in node and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")):
            node["additionalProperties"] = False
        for key, value in node.items():
            if key == "properties":
                for child in value.values():
                    close(child)
            elif key in ("items", "additionalProperties", "allOf", "anyOf", "oneOf", "not"):
                close(value)

    close(schema)
    # Every object has these, whether or not the CRD's schema names them.
    properties = schema.setdefault("properties", {})
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    properties.setdefault("metadata", {"type": "object"})
    return schema


if __name__ == "__main__":
    sys.exit(main())
