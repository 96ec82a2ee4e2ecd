#!/usr/bin/env python3
"""Independent reader for saved container images: prints EXPECTED.json-shaped figures.

Written from the docker-save and OCI image-layout specs, with nothing but the standard library
(zstd layers are decompressed with the `zstd` command, or the `zstandard` module if present).
It shares no code with deadweight and is how testdata/sample/EXPECTED.json was made.

    python3 expected.py ARCHIVE [--dive-json FILE] [ARCHIVE [--dive-json FILE]]...

Layouts read: docker-archive (`docker save` / `podman save` / skopeo: manifest.json list,
layers possibly symlinked), OCI image layout in a tar (index.json, blobs/sha256; nested index
followed to the first manifest), skopeo `dir:` in a tar (manifest.json object, blobs by hex).

Figures (same definitions as shared/fixtures/formats/EXPECTED.json):
  per layer: blob_bytes (stored blob size), compression (by magic), content_bytes (regular-file
  sizes; hard links, symlinks, dirs 0), entries (tar members), files (regular + hard links),
  whiteouts (.wh.* other than the opaque marker), opaque (.wh..wh..opq), diff_id.
  totals: visible_* from the final filesystem after OCI overlay semantics (a hard-linked inode
  counted once); hidden = content - visible, by the cause that removed an inode's last name:
  overwritten (a later entry replaced it; same_content = the part replaced by a regular file
  with identical sha256, a subset of overwritten), deleted (a whiteout named it),
  deleted_with_dir (a whiteout named an ancestor, or a non-directory replaced an ancestor
  directory), opaque (an opaque marker in an ancestor hid it).
  duplicate_bytes: visible regular inodes with equal sha256 and size > 0: (copies - 1) x size.
"""
import gzip
import hashlib
import io
import json
import os
import posixpath
import shutil
import subprocess
import sys
import tarfile

ABOUT = ("Exact figures for these archives, from testdata/sample/expected.py, an independent "
         "reader written from the OCI and docker-save specs (it reproduces the figures of "
         "every EXPECTED.json under shared/fixtures: formats, corpus, dive, ggcr). content_bytes: sum of regular-file sizes in a "
         "layer's tar (hard links, symlinks, dirs 0). visible: the final filesystem (a hard-linked "
         "file's bytes once). hidden = content - visible, by cause; same_content is the part of "
         "overwritten rewritten by a regular file with identical content. duplicate_bytes: "
         "identical content at several visible paths, (copies-1) x size. dive: dive 0.13.1's own "
         "figures (--json export), layers in manifest order.")


def decompress(raw):
    if raw[:2] == b"\x1f\x8b":
        return "gzip", gzip.decompress(raw)
    if raw[:4] == b"\x28\xb5\x2f\xfd":
        try:
            import zstandard  # type: ignore
            return "zstd", zstandard.ZstdDecompressor().decompressobj().decompress(raw)
        except ImportError:
            exe = shutil.which("zstd")
            if not exe:
                sys.exit("zstd layer: need the zstd command or the zstandard module")
            return "zstd", subprocess.run([exe, "-dc"], input=raw, stdout=subprocess.PIPE,
                                          check=True).stdout
    return "none", raw


def norm(name):
    name = name.lstrip("/")
    while name.startswith("./"):
        name = name[2:]
    name = posixpath.normpath(name) if name not in ("", ".") else ""
    return "" if name == "." else name


class Archive:
    def __init__(self, path):
        self.tar = tarfile.open(path)
        self.names = {norm(m.name): m for m in self.tar.getmembers()}

    def read(self, name):
        m = self.names[norm(name)]
        f = self.tar.extractfile(m)  # follows symlinked / hard-linked members
        return f.read()

    def has(self, name):
        return norm(name) in self.names

    def layout(self):
        """-> (image names, config dict, [layer blob bytes])"""
        if self.has("manifest.json"):
            man = json.loads(self.read("manifest.json"))
            if isinstance(man, list):  # docker-archive
                entry = man[0]
                config = json.loads(self.read(entry["Config"]))
                blobs = [self.read(p) for p in entry["Layers"]]
                return entry.get("RepoTags") or [], config, blobs
            # skopeo dir: layout, blobs named by hex digest
            config = json.loads(self.read(man["config"]["digest"].split(":", 1)[1]))
            blobs = [self.read(l["digest"].split(":", 1)[1]) for l in man["layers"]]
            return [], config, blobs
        index = json.loads(self.read("index.json"))
        names = []
        desc = index["manifests"][0]
        for d in index["manifests"]:
            n = (d.get("annotations") or {}).get("org.opencontainers.image.ref.name")
            if n:
                names.append(n)
        doc = json.loads(self.blob(desc["digest"]))
        while "manifests" in doc:  # nested index
            doc = json.loads(self.blob(doc["manifests"][0]["digest"]))
        config = json.loads(self.blob(doc["config"]["digest"]))
        return names, config, [self.blob(l["digest"]) for l in doc["layers"]]

    def blob(self, digest):
        algo, hexd = digest.split(":", 1)
        return self.read(f"blobs/{algo}/{hexd}")


class Inode:
    __slots__ = ("size", "sha", "names", "cause")

    def __init__(self, size, sha):
        self.size, self.sha, self.names, self.cause = size, sha, set(), None


def analyse(path):
    arc = Archive(path)
    image, config, blobs = arc.layout()
    fs = {}          # path -> (kind, inode or None, layer index)
    inodes = []
    layers = []
    content_total = 0

    def drop(p, cause):
        kind, ino, _ = fs.pop(p)
        if ino is not None:
            ino.names.discard(p)
            if not ino.names:
                ino.cause = cause

    def drop_subtree(d, cause, below_layer=None):
        prefix = d + "/" if d else ""
        for p in [p for p in fs if p.startswith(prefix) and p != d]:
            if below_layer is None or fs[p][2] < below_layer:
                drop(p, cause)

    for idx, raw in enumerate(blobs):
        compression, data = decompress(raw)
        info = {"index": idx, "blob_bytes": len(raw), "compression": compression,
                "content_bytes": 0, "entries": 0, "files": 0, "whiteouts": 0, "opaque": 0,
                "diff_id": "sha256:" + hashlib.sha256(data).hexdigest()}
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            for m in t:
                info["entries"] += 1
                p = norm(m.name)
                if p == "":
                    continue
                d, base = posixpath.split(p)
                if base == ".wh..wh..opq":
                    info["opaque"] += 1
                    drop_subtree(d, "opaque", below_layer=idx)
                    continue
                if base.startswith(".wh."):
                    info["whiteouts"] += 1
                    target = posixpath.join(d, base[4:])
                    if target in fs:
                        if fs[target][0] == "dir":
                            drop_subtree(target, "deleted_with_dir")
                        drop(target, "deleted")
                    else:  # a whiteout for something not there still hides a subtree, if any
                        drop_subtree(target, "deleted_with_dir")
                    continue
                # a non-directory sitting where an ancestor directory must be
                parts = p.split("/")
                for i in range(1, len(parts)):
                    anc = "/".join(parts[:i])
                    if anc in fs and fs[anc][0] != "dir":
                        drop(anc, "overwritten")
                kind = ("dir" if m.isdir() else "reg" if m.isreg() else
                        "hardlink" if m.islnk() else "symlink" if m.issym() else "other")
                new_ino = None
                if kind == "reg":
                    blob = t.extractfile(m).read()
                    new_ino = Inode(m.size, hashlib.sha256(blob).hexdigest())
                    inodes.append(new_ino)
                    info["content_bytes"] += m.size
                    info["files"] += 1
                elif kind == "hardlink":
                    info["files"] += 1
                    tgt = fs.get(norm(m.linkname))
                    new_ino = tgt[1] if tgt else None
                if p in fs:
                    okind, oino, _ = fs[p]
                    if okind == "dir":
                        if kind != "dir":
                            drop_subtree(p, "deleted_with_dir")
                            drop(p, "deleted_with_dir")
                    elif oino is not new_ino:
                        same = (kind == "reg" and oino is not None and oino.sha == new_ino.sha)
                        drop(p, "same_content" if same else "overwritten")
                if kind == "dir" and p in fs:
                    fs[p] = ("dir", None, fs[p][2])
                else:
                    fs[p] = (kind, new_ino, idx)
                    if new_ino is not None:
                        new_ino.names.add(p)
        content_total += info["content_bytes"]
        layers.append(info)

    causes = {"overwritten": 0, "same_content": 0, "deleted": 0, "deleted_with_dir": 0,
              "opaque": 0}
    visible = [i for i in inodes if i.names]
    for i in inodes:
        if not i.names:
            if i.cause == "same_content":
                causes["same_content"] += i.size
                causes["overwritten"] += i.size
            else:
                causes[i.cause] += i.size
    visible_bytes = sum(i.size for i in visible)
    groups = {}
    for i in visible:
        if i.size > 0:
            groups.setdefault(i.sha, []).append(i)
    dup = sum((len(g) - 1) * g[0].size for g in groups.values())
    visible_files = sum(1 for k, ino, _ in fs.values() if k in ("reg", "hardlink"))
    return {
        "image": image,
        "layers": layers,
        "totals": {
            "content_bytes": content_total,
            "visible_bytes": visible_bytes,
            "visible_files": visible_files,
            "visible_inodes": len(visible),
            "hidden_bytes": content_total - visible_bytes,
            "hidden_by_cause": causes,
        },
        "duplicate_bytes": dup,
        "user": (config.get("config") or {}).get("User") or "",
    }


def dive_from_json(path):
    """dive --json export -> the 'dive' block (dive's own numbers, exact floats)."""
    d = json.load(open(path))
    img = d["image"]
    sizes = [l["sizeBytes"] for l in d["layer"]]
    user = sum(sizes[1:])
    wasted = img["inefficientBytes"]
    return {"size_bytes": img["sizeBytes"], "user_size_bytes": user,
            "efficiency": img["efficiencyScore"], "wasted_bytes": wasted,
            "user_wasted_percent": (wasted / user) if user else 0.0}


def main(argv):
    archives, dive_json = [], {}
    it = iter(argv)
    for a in it:
        if a == "--dive-json":  # applies to the archive named just before it
            dive_json[len(archives) - 1] = next(it)
        else:
            archives.append(a)
    if not archives:
        sys.exit(__doc__)
    out = {"about": ABOUT, "archives": {}}
    for n, a in enumerate(archives):
        r = analyse(a)
        if n in dive_json:
            user = r.pop("user")  # keep "user" after "dive", as in the formats fixture
            r["dive"] = dive_from_json(dive_json[n])
            r["user"] = user
        out["archives"][os.path.basename(a)] = r
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
