#!/usr/bin/env python3
"""Writes the CI copies of docker/k8s/ that tests/docker/run.sh plays with podman.

Usage: kube_ci.py SOURCE_ROOT OUT_DIR STORE_DIR WITNESS_DIR TAG

Each copy differs from the manifest only where a CI machine differs from a cluster, and says so:
  - datamon.yaml's `config` is the file:// store in STORE_DIR, which every container that runs
    datamon mounts at the same path (a hostPath volume `store`);
  - the Secret that docker/README.md has the user create, with a placeholder key (a file://
    store reads no credentials);
  - images carry the run's TAG; the application image is the pg sidecar image (it has psql,
    as the manifest's postgres:15-bookworm does, which no registry serves here);
  - the application also copies what it wrote to WITNESS_DIR/pod (WITNESS_DIR/workflow), so that the saved bundle can be
    compared with it byte for byte;
  - podman 4.3 does not apply the pod's fsGroup: an init container that runs first does what
    fsGroup does to the emptyDirs the sidecars share (group 2000, setgid, group-writable), and
    every container gets group 2000 as a supplemental group, as fsGroup would give it;
  - the Secret's key is under `data` (base64): podman 4.3 mounts nothing from `stringData`
    (and mounts `data` still encoded, which a file:// store, reading no credentials, ignores).
Writes config.yaml, secret.yaml, config-failure.yaml (the input label does not exist),
pod.yaml (docker/k8s/pod.yaml) and workflow-step.yaml (the Argo workflow's step as a pod: its
init containers, its container as `main`, its sidecars, the workflow's and the template's
volumes, the workflow's securityContext).
"""
import base64
import copy
import os
import sys

import yaml

FS_GROUP = 2000


def load_all(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def dump_all(path, docs):
    with open(path, "w") as f:
        yaml.safe_dump_all(docs, f, sort_keys=False)


def retag(image, tag):
    name = image.rsplit(":", 1)[0]
    return f"{name}:{tag}"


def adapt_pod(pod, store, witness, tag):
    """The CI changes to a Pod (see the module docstring)."""
    spec = pod["spec"]
    spec["volumes"].append({"name": "store", "hostPath": {"path": store, "type": "Directory"}})
    spec["volumes"].append({"name": "witness", "hostPath": {"path": witness, "type": "DirectoryOrCreate"}})
    shared = {"coord", "outputs", "inputs"}
    fs_group = spec.get("securityContext", {}).get("fsGroup")
    spec["securityContext"].setdefault("supplementalGroups", []).append(fs_group)
    spec["initContainers"].insert(0, {
        "name": "ci-fsgroup",
        "image": f"datamon-wrapper:{tag}",
        "command": ["/bin/sh", "-c", "chgrp %d /shared/* && chmod 2775 /shared/*" % fs_group],
        "securityContext": {"runAsUser": 0},
        "volumeMounts": [{"name": v, "mountPath": f"/shared/{v}"} for v in sorted(shared)],
    })
    for c in spec["initContainers"][1:] + spec["containers"]:
        c["image"] = retag(c["image"], tag) if c["image"].startswith("datamon-") else f"datamon-pg-sidecar:{tag}"
        if any(m["name"] == "datamon-config" for m in c.get("volumeMounts", [])):
            c["volumeMounts"].append({"name": "store", "mountPath": store})
    app = spec["containers"][0]
    app["volumeMounts"].append({"name": "witness", "mountPath": "/witness"})
    app["args"][-1] = app["args"][-1].rstrip("\n") + "\ncp -a /data/outputs/. /witness/\n"
    return pod


def main():
    root, out, store, witness, tag = sys.argv[1:6]
    configs = load_all(os.path.join(root, "docker/k8s/config.yaml"))
    for doc in configs:
        if doc["metadata"]["name"] == "datamon-config":
            conf = yaml.safe_load(doc["data"]["datamon.yaml"])
            conf["config"] = "file://" + os.path.join(store, "config")
            doc["data"]["datamon.yaml"] = yaml.safe_dump(conf, sort_keys=False)
    dump_all(os.path.join(out, "config.yaml"), configs)
    failing = copy.deepcopy(configs)
    for doc in failing:
        if doc["metadata"]["name"] == "datamon-fuse-sidecar":
            fuse = yaml.safe_load(doc["data"]["fuse.yaml"])
            fuse["bundles"][0]["srcLabel"] = "no-such-label"
            doc["data"]["fuse.yaml"] = yaml.safe_dump(fuse, sort_keys=False)
    dump_all(os.path.join(out, "config-failure.yaml"), failing)
    dump_all(os.path.join(out, "secret.yaml"), [{
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "datamon-credentials"},
        "data": {"gcs.json": base64.b64encode(b'{"type": "placeholder: a file:// store reads none"}').decode()},
    }])

    pod = load_all(os.path.join(root, "docker/k8s/pod.yaml"))[0]
    dump_all(os.path.join(out, "pod.yaml"), [adapt_pod(pod, store, os.path.join(witness, "pod"), tag)])

    workflow = load_all(os.path.join(root, "docker/k8s/workflow.yaml"))[0]
    wspec = workflow["spec"]
    template = next(t for t in wspec["templates"] if t["name"] == wspec["entrypoint"])
    main_container = dict(template["container"], name="main")
    step = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": workflow["metadata"]["generateName"] + "step"},
        "spec": {
            "restartPolicy": "Never",
            "securityContext": wspec.get("securityContext", {}),
            "initContainers": template.get("initContainers", []),
            "containers": [main_container] + template.get("sidecars", []),
            "volumes": wspec.get("volumes", []) + template.get("volumes", []),
        },
    }
    dump_all(os.path.join(out, "workflow-step.yaml"), [adapt_pod(step, store, os.path.join(witness, "workflow"), tag)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
