#!/usr/bin/env python3
"""The GPU check's carried dependencies (scripts/gpu-check --prepare / --deps / --rehearse).

The GPU machine has CUDA, CMake, ninja, g++ and a python3 with PyTorch and NumPy, but no package
registry, and nothing says it has Eigen, GoogleTest, Google Benchmark, OpenBLAS or TBB. This tool
gathers them here as Debian .deb files (with HIP-CPU's sources and any Python wheel the peers need
that the machine's image lacks) into one folder with a manifest, and on the GPU machine unpacks what
the system lacks into a private prefix (never into /) and tells CMake and the loader about it.

  gpu_deps.py prepare DIR [--refresh] [--wheel NAME==VERSION ...]
  gpu_deps.py setup DIR PREFIX OUTDIR [--smoke] [--all-carried]   (DIR '-': the system alone)
  gpu_deps.py verify DIR
The rehearsal's own helpers (hiding the system's copies, the build-time estimate): gpu_rehearse.py.

Only the standard library: it runs under any python3 (this machine's, the GPU image's).
"""
import argparse
import datetime
import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tarfile
import tempfile

import gpu_wheels

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE_SOURCE = os.path.join(ROOT, "scripts", "gpu_deps_probe")
MANIFEST = "manifest.tsv"
CANNOT_PREPARE = 77  # this machine cannot download Debian packages: ctest reports a skip
MAX_DIR_BYTES = 40 * 1024 * 1024  # issue 23: the carried folder stays under 40 MiB
ARCH_TRIPLET = "x86_64-linux-gnu"

# component -> the Debian packages that make it (Debian 12 names). The first one holds the CMake
# config, headers or libraries the build finds; the others are what those need at link and run time.
COMPONENTS = {
    "eigen": ["libeigen3-dev"],
    "gtest": ["libgtest-dev"],
    "benchmark": ["libbenchmark-dev", "libbenchmark1debian"],
    "openblas": ["libopenblas-pthread-dev", "libopenblas0-pthread", "libgfortran5", "libquadmath0"],
    "tbb": ["libtbb-dev", "libtbb12", "libtbbmalloc2", "libtbbbind-2-5"],
}
# Depends that are deliberately not carried, and why. Any other Depends missing from COMPONENTS
# stops --prepare, so a Debian change cannot silently leave a library behind.
OMITTED = {
    "libc6": "the C library: every system has one; its symbol versions are checked against 'needs'",
    "libgcc-s1": "GCC's runtime: on every system with g++; checked against 'needs'",
    "libstdc++6": "the C++ runtime: on every system with g++; checked against 'needs'",
    "gcc-12-base": "documentation and copyright files only",
    "pkg-config": "Eigen's .pc file is not used (CMake finds Eigen3Config.cmake)",
    "googletest": "GoogleTest's sources; libgtest-dev holds the built archives",
    "libhwloc15": "used by libtbbbind for NUMA binding, which TBB loads only if it can (runs without)",
}
# Where each component is found inside an unpacked prefix: CMake hints.
CMAKE_HINTS = {
    "eigen": ("Eigen3_DIR", "usr/share/eigen3/cmake"),
    "gtest": ("GTest_DIR", "usr/lib/%s/cmake/GTest" % ARCH_TRIPLET),
    "benchmark": ("benchmark_DIR", "usr/lib/%s/cmake/benchmark" % ARCH_TRIPLET),
    "tbb": ("TBB_DIR", "usr/lib/%s/cmake/TBB" % ARCH_TRIPLET),
    # FindBLAS/FindLAPACK search CMAKE_LIBRARY_PATH before the system's directories.
    "openblas": ("CMAKE_LIBRARY_PATH", "usr/lib/%s/openblas-pthread" % ARCH_TRIPLET),
}
HIP_CPU_RELATIVE = os.path.join("third_party", "hip-cpu")
# The runtime every system with g++ has (libc6, libstdc++6, libgcc-s1): carried files' symbol-version
# needs on these are checked against the system's copies. Needs on other libraries are checked only
# where the carried set brings them (libgfortran); libhwloc (OMITTED) is optional.
BASE_SONAMES = {"libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2", "libstdc++.so.6", "libgcc_s.so.1"}


def die(message):
    print("gpu_deps: " + message, file=sys.stderr)
    sys.exit(1)


def run(cmd, **kw):
    return subprocess.run(cmd, check=False, text=True, capture_output=True, **kw)


def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def version_key(version):
    return [int(p) if p.isdigit() else p for p in re.split(r"[._]", version)]


# ---- ELF symbol-version needs --------------------------------------------------------------------
def elf_kind(path):
    """'so' for an ELF shared object, 'a' for an ar archive, None otherwise."""
    if os.path.islink(path) or not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        head = f.read(18)
    if head[:4] == b"\x7fELF" and len(head) >= 18 and head[16] == 3:  # ET_DYN
        return "so"
    if head[:8] == b"!<arch>\n":
        return "a"
    return None


def version_needs(path):
    """{soname: highest version needed per family} from readelf's .gnu.version_r."""
    out = run(["readelf", "-V", "--wide", path]).stdout
    needs, current = {}, None
    for line in out.splitlines():
        m = re.search(r"File: (\S+)", line)
        if m:
            current = m.group(1)
            continue
        m = re.search(r"Name: ([A-Z]+)_([0-9][0-9.]*)", line)
        if m and current:
            family, version = m.group(1), m.group(2)
            key = (current, family)
            if key not in needs or version_key(version) > version_key(needs[key]):
                needs[key] = version
    return needs


def archive_is_cxx(path):
    out = run(["nm", "-u", "--format=posix", path]).stdout
    return "__gxx_personality_v0" in out or "_ZNSt" in out


def build_machine_needs():
    """What archives compiled on this distribution need: its glibc and its libstdc++'s newest version."""
    glibc = os.confstr("CS_GNU_LIBC_VERSION").split()[-1]
    libstdcxx = newest_defined_version(find_system_library("libstdc++.so.6"), "GLIBCXX")
    needs = {("libc.so.6", "GLIBC"): glibc}
    if libstdcxx:
        needs[("libstdc++.so.6", "GLIBCXX")] = libstdcxx
    return needs


def newest_defined_version(path, family):
    if not path:
        return None
    with open(path, "rb") as f:
        found = set(re.findall(rb"\b" + family.encode() + rb"_([0-9]+(?:\.[0-9]+)*)\x00", f.read()))
    versions = sorted((v.decode() for v in found), key=version_key)
    return versions[-1] if versions else None


def find_system_library(soname):
    """The system's file for soname, if it is a real ELF file (the loader's cache, then the usual dirs)."""
    candidates = []
    out = run(["ldconfig", "-p"]).stdout if shutil.which("ldconfig") or os.path.exists("/sbin/ldconfig") else ""
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) \(([^)]*)\) => (\S+)", line)
        if m and m.group(1) == soname and ("x86-64" in m.group(2) or "64" in m.group(2)):
            candidates.append(m.group(3))
    for d in ("/usr/lib/" + ARCH_TRIPLET, "/lib/" + ARCH_TRIPLET, "/usr/lib64", "/lib64", "/usr/lib"):
        candidates.append(os.path.join(d, soname))
    for c in candidates:
        try:
            with open(c, "rb") as f:
                if f.read(4) == b"\x7fELF":
                    return os.path.realpath(c)
        except OSError:
            continue
    return None


def format_needs(needs):
    return ",".join("%s:%s_%s" % (so, fam, ver) for (so, fam), ver in sorted(needs.items())) or "-"


def parse_needs(text):
    needs = []
    for item in text.split(","):
        m = re.match(r"(.+):([A-Z]+)_([0-9.]+)$", item)
        if m:
            needs.append((m.group(1), m.group(2), m.group(3)))
    return needs


# ---- prepare --------------------------------------------------------------------------------------
def read_manifest(directory):
    path = os.path.join(directory, MANIFEST)
    if not os.path.exists(path):
        return None
    entries = []
    with open(path) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            kind, component, name, version, filename, size, digest, needs = line.rstrip("\n").split("\t")
            entries.append(dict(kind=kind, component=component, name=name, version=version,
                                file=filename, bytes=int(size), sha256=digest, needs=needs))
    return entries


def verify_command(args):
    entries = read_manifest(args.dir)
    if entries is None:
        die("%s has no %s (scripts/gpu-check --prepare %s)" % (args.dir, MANIFEST, args.dir))
    problems = verify(args.dir, entries)
    if problems:
        die("%s: %s" % (args.dir, "; ".join(problems)))
    print("%d files, %.1f MiB, sha256 verified (%s)" % (
        len(entries), sum(e["bytes"] for e in entries) / 2**20,
        ", ".join("%s %s" % (e["name"], e["version"][:12]) for e in entries if e["kind"] != "deb"
                  or e["name"] in [ps[0] for ps in COMPONENTS.values()])))
    return 0


def verify(directory, entries):
    """The files of the manifest, each present with its sha256; a list of problems."""
    problems = []
    for e in entries:
        path = os.path.join(directory, e["file"])
        if not os.path.isfile(path):
            problems.append("%s: missing" % e["file"])
        elif sha256_of(path) != e["sha256"]:
            problems.append("%s: sha256 differs from the manifest" % e["file"])
    return problems


def hip_cpu_source():
    """(path, commit) of the HIP-CPU checkout beside or inside this repository, or (None, None)."""
    for base in (os.environ.get("LSGD_HIP_CPU_DIR"), os.path.join(ROOT, "shared", HIP_CPU_RELATIVE),
                 os.path.join(os.path.dirname(ROOT), "shared", HIP_CPU_RELATIVE)):
        if base and os.path.isfile(os.path.join(base, "CMakeLists.txt")):
            commit = None
            readme = os.path.join(os.path.dirname(base), "README.md")
            if os.path.exists(readme):
                for line in open(readme):
                    if line.startswith("| hip-cpu/"):
                        m = re.search(r"\b([0-9a-f]{40})\b", line)
                        commit = m.group(1) if m else None
            if not commit:
                r = run(["git", "-C", base, "rev-parse", "HEAD"])
                commit = r.stdout.strip() if r.returncode == 0 else "unknown"
            return os.path.realpath(base), commit
    return None, None


def tar_deterministic(source, target):
    def clean(info):
        if "/.git" in info.name or info.name.endswith("/.git"):
            return None
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mtime = 0
        return info

    with open(target, "wb") as raw:
        import gzip
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w") as tar:
                for dirpath, dirnames, filenames in os.walk(source):
                    dirnames[:] = sorted(d for d in dirnames if d != ".git")
                    for name in sorted(filenames):
                        full = os.path.join(dirpath, name)
                        tar.add(full, arcname=os.path.join("hip-cpu", os.path.relpath(full, source)),
                                filter=clean)


def apt_download(package, directory, updated):
    r = run(["apt-get", "download", package], cwd=directory)
    if r.returncode != 0 and not updated[0] and os.geteuid() == 0:
        updated[0] = True
        print("gpu_deps: apt-get download %s failed; apt-get update, then again" % package)
        run(["apt-get", "update", "-qq"])
        r = run(["apt-get", "download", package], cwd=directory)
    if r.returncode != 0:
        die("apt-get download %s failed: %s" % (package, (r.stderr or r.stdout).strip()[-400:]))


def prepare(args):
    directory = os.path.abspath(args.dir)
    os.makedirs(directory, exist_ok=True)
    for tool in ("dpkg", "apt-get", "dpkg-deb", "readelf", "nm"):
        if not shutil.which(tool):
            print("gpu_deps: --prepare needs %s (an amd64 Debian or Ubuntu machine)" % tool, file=sys.stderr)
            return CANNOT_PREPARE
    if run(["dpkg", "--print-architecture"]).stdout.strip() != "amd64":
        print("gpu_deps: --prepare needs an amd64 machine (the GPU machine is x86-64)", file=sys.stderr)
        return CANNOT_PREPARE
    hip_path, hip_commit = hip_cpu_source()
    try:
        needed_wheels = gpu_wheels.wheels_needed(args.wheel)
    except gpu_wheels.WheelError as e:
        die(str(e))
    wanted = sorted(p for ps in COMPONENTS.values() for p in ps)

    old = read_manifest(directory)
    if old is not None and not args.refresh:
        have_debs = sorted(e["name"] for e in old if e["kind"] == "deb")
        have_hip = [e["version"] for e in old if e["kind"] == "source"]
        have_wheels = sorted(gpu_wheels.normalize(e["name"]) for e in old if e["kind"] == "wheel")
        problems = verify(directory, old)
        if (have_debs == wanted and have_hip == ([hip_commit] if hip_commit else [])
                and have_wheels == sorted(needed_wheels) and not problems):
            print("gpu_deps: %s is prepared (%d files, %.1f MiB; manifest verified): nothing to do"
                  % (directory, len(old), sum(e["bytes"] for e in old) / 2**20))
            return 0
        print("gpu_deps: %s is out of date (%s): preparing again"
              % (directory, "; ".join(problems) or "the list of what to carry changed"))

    # Start clean: only what the manifest will list stays in DIR.
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        if os.path.isfile(path) and (name.endswith((".deb", ".whl", ".tar.gz")) or name == MANIFEST):
            os.remove(path)
    entries, log, updated = [], [], [False]
    owner = {p: c for c, ps in COMPONENTS.items() for p in ps}
    archive_needs = build_machine_needs()
    for package in wanted:
        before = set(os.listdir(directory))
        apt_download(package, directory, updated)
        new = [n for n in set(os.listdir(directory)) - before if n.endswith(".deb")]
        if len(new) != 1:
            die("apt-get download %s left %d .deb files" % (package, len(new)))
        deb = os.path.join(directory, new[0])
        fields = run(["dpkg-deb", "-f", deb, "Package", "Version", "Depends"]).stdout
        info = dict(re.findall(r"^(\w+): (.*)$", fields, re.M))
        for dep in re.split(r",\s*", info.get("Depends", "")):
            name = re.split(r"[ :(]", dep.split("|")[0].strip())[0]
            if name and name not in owner and name not in OMITTED:
                die("%s depends on %s, which is neither carried nor in the omitted list "
                    "(scripts/gpu_deps.py: COMPONENTS or OMITTED)" % (package, name))
        needs = {}
        with tempfile.TemporaryDirectory() as tmp:
            run(["dpkg-deb", "-x", deb, tmp])
            for dirpath, _, filenames in os.walk(tmp):
                for f in filenames:
                    path = os.path.join(dirpath, f)
                    kind = elf_kind(path)
                    found = version_needs(path) if kind == "so" else (
                        archive_needs if kind == "a" and archive_is_cxx(path) else {})
                    for key, ver in found.items():
                        if key not in needs or version_key(ver) > version_key(needs[key]):
                            needs[key] = ver
        entries.append(dict(kind="deb", component=owner[package], name=package,
                            version=info["Version"], file=new[0], needs=format_needs(needs)))
    if hip_path:
        tar_name = "hip-cpu-%s.tar.gz" % hip_commit[:12]
        tar_deterministic(hip_path, os.path.join(directory, tar_name))
        entries.append(dict(kind="source", component="hip-cpu", name="hip-cpu", version=hip_commit,
                            file=tar_name, needs="-"))
    else:
        log.append("HIP-CPU not found (../shared/%s): the GPU machine will build without the "
                   "emulated kernels" % HIP_CPU_RELATIVE)
    try:
        entries += gpu_wheels.download_wheels(needed_wheels, args.wheel, directory, log)
    except gpu_wheels.WheelError as e:
        die(str(e))
    for e in entries:
        path = os.path.join(directory, e["file"])
        e["bytes"], e["sha256"] = os.path.getsize(path), sha256_of(path)
    total = sum(e["bytes"] for e in entries)
    if total > MAX_DIR_BYTES:
        die("the prepared files take %.1f MiB, over the %d MiB limit" % (total / 2**20, MAX_DIR_BYTES >> 20))
    os_name = "unknown"
    if os.path.exists("/etc/os-release"):
        m = re.search(r'^PRETTY_NAME="?([^"\n]*)', open("/etc/os-release").read(), re.M)
        os_name = m.group(1) if m else os_name
    with open(os.path.join(directory, MANIFEST + ".tmp"), "w") as f:
        f.write("# lsgd gpu-check dependencies (scripts/gpu-check --prepare); the check verifies each sha256.\n")
        f.write("# prepared %s on %s, amd64, glibc %s\n" % (
            datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), os_name,
            archive_needs.get(("libc.so.6", "GLIBC"))))
        f.write("# needs: symbol versions the files require of the system's libc/libstdc++/libgcc_s/"
                "libgfortran (static C++ archives: this distribution's glibc and libstdc++)\n")
        for name, why in sorted(OMITTED.items()):
            f.write("# not carried: %s: %s\n" % (name, why))
        for line in log:
            f.write("# %s\n" % line)
        f.write("# kind\tcomponent\tname\tversion\tfile\tbytes\tsha256\tneeds\n")
        for e in entries:
            f.write("\t".join(str(e[k]) for k in ("kind", "component", "name", "version", "file",
                                                   "bytes", "sha256", "needs")) + "\n")
    os.replace(os.path.join(directory, MANIFEST + ".tmp"), os.path.join(directory, MANIFEST))
    print("gpu_deps: prepared %s: %d files, %.1f MiB (limit %d MiB)"
          % (directory, len(entries), total / 2**20, MAX_DIR_BYTES >> 20))
    for e in entries:
        print("  %-7s %-10s %-24s %-22s %6.2f MiB" % (e["kind"], e["component"], e["name"],
                                                      e["version"][:22], e["bytes"] / 2**20))
    for line in log:
        print("  note: " + line)
    return 0


# ---- setup (the GPU machine, and the rehearsal) ---------------------------------------------------
def probe(build, cmake_args, smoke=False, expect_prefix=None, env=None):
    """{component: (found, version, where)} as CMake finds them, from scripts/gpu_deps_probe."""
    shutil.rmtree(build, ignore_errors=True)
    cmd = ["cmake", "-S", PROBE_SOURCE, "-B", build, "-DCMAKE_BUILD_TYPE=Release"] + cmake_args
    if shutil.which("ninja"):
        cmd += ["-G", "Ninja"]
    if smoke:
        cmd.append("-DLSGD_PROBE_SMOKE=ON")
    # The environment the build will have: the linker, too, resolves libopenblas's libgfortran
    # through LD_LIBRARY_PATH when the system has none.
    env = env or dict(os.environ)
    r = run(cmd, env=env)
    found = {}
    for line in (r.stdout + r.stderr).splitlines():
        m = re.search(r"lsgd-probe\|(\w+)\|(found|missing)\|([^|]*)\|(.*)$", line)
        if m:
            found[m.group(1)] = (m.group(2) == "found", m.group(3), m.group(4).strip())
    if r.returncode != 0 or len(found) != len(COMPONENTS):
        print(r.stdout[-3000:] + r.stderr[-3000:])
        die("the probe project did not configure (%s)" % " ".join(shlex.quote(c) for c in cmd))
    if smoke:
        b = run(["cmake", "--build", build, "-j", str(os.cpu_count() or 2)], env=env)
        if b.returncode != 0:
            print(b.stdout[-4000:] + b.stderr[-2000:])
            die("the smoke programs did not build against the prepared prefix")
        env = dict(env, LSGD_PROBE_EXPECT_PREFIX=expect_prefix or "")
        t = run(["ctest", "--test-dir", build, "--output-on-failure", "-V"], env=env)
        print("\n".join(l for l in t.stdout.splitlines() if "lsgd-smoke:" in l or "Passed" in l
                        or "Failed" in l or "tests passed" in l))
        if t.returncode != 0:
            print(t.stdout[-4000:])
            die("the smoke programs failed against the prepared prefix")
    return found


def unmet_needs(entry, carried_sonames, loader_sonames):
    """Symbol versions this system cannot give to a carried file ([] when all are met). Libraries
    the loader folder provides (the system has none) come with the carried set and match it."""
    problems = []
    for soname, family, version in parse_needs(entry["needs"]):
        if soname in loader_sonames or (soname not in BASE_SONAMES and soname not in carried_sonames):
            continue
        path = find_system_library(soname)
        have = newest_defined_version(path, family) if path else None
        if not have or version_key(have) < version_key(version):
            problems.append("%s needs %s_%s of %s; this system has %s" % (
                entry["name"], family, version, soname, "%s_%s" % (family, have) if have else "none"))
    return problems


def project_mentions(pattern):
    """True when lsgd's CMake code (comments left out) matches the regular expression."""
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in ("build", ".git", "results", "shared",
                                                        "gpu_deps_probe") and not d.startswith(".")]
        for f in filenames:
            if f == "CMakeLists.txt" or f.endswith(".cmake"):
                text = open(os.path.join(dirpath, f), errors="replace").read()
                if re.search(pattern, re.sub(r"#[^\n]*", "", text)):
                    return True
    return False


def unpack(debs, directory, prefix):
    stamp = os.path.join(prefix, ".unpacked")
    want = "\n".join(sorted(e["sha256"] for e in debs))
    if os.path.exists(stamp) and open(stamp).read() == want:
        return
    shutil.rmtree(prefix, ignore_errors=True)
    os.makedirs(prefix)
    for e in debs:
        r = run(["dpkg-deb", "-x", os.path.join(directory, e["file"]), prefix])
        if r.returncode != 0:
            die("dpkg-deb -x %s failed: %s" % (e["file"], r.stderr.strip()))
    open(stamp, "w").write(want)


def sonames_in(prefix):
    """{soname: path} of the shared libraries under prefix (by their versioned links)."""
    found = {}
    for dirpath, _, filenames in os.walk(prefix):
        for f in filenames:
            path = os.path.join(dirpath, f)
            if re.match(r"lib.+\.so\.[0-9]+[a-z]*$", f) and elf_kind(os.path.realpath(path)) == "so":
                found.setdefault(f, path)
    return found


def setup(args):
    directory = None if args.dir == "-" else os.path.abspath(args.dir)
    prefix, outdir = os.path.abspath(args.prefix), os.path.abspath(args.outdir)
    os.makedirs(outdir, exist_ok=True)
    entries = []
    if directory:
        entries = read_manifest(directory)
        if entries is None:
            die("%s has no %s: prepare it with scripts/gpu-check --prepare %s" % (directory, MANIFEST, args.dir))
        problems = verify(directory, entries)
        if problems:
            die("%s does not match its manifest: %s" % (directory, "; ".join(problems)))
        print("gpu_deps: %s: %d files, sha256 verified" % (directory, len(entries)))
    system = probe(os.path.join(outdir, "probe-system"), [])
    rows, cmake_args, probe_args, use, problems = [], [], [], [], []
    carried = {e["component"] for e in entries if e["kind"] == "deb"}
    for component in COMPONENTS:
        ok, version, where = system[component]
        if ok:
            rows.append((component, "system", version, where))
        elif component in carried:
            use.append(component)
        else:
            rows.append((component, "MISSING", "", "not on this system and not in the carried folder"))
            problems.append("%s: not on this system%s" % (
                component, "" if directory else "; prepare a folder with scripts/gpu-check --prepare DIR"))
    debs = [e for e in entries if e["kind"] == "deb" and e["component"] in use]
    if debs:
        unpack(debs, directory, prefix)
        # The loader: only the libraries the system lacks (a real ELF file of that name), so nothing
        # the system has is shadowed for other programs; our binaries' RUNPATH names the prefix.
        loader = os.path.join(prefix, "loader")
        shutil.rmtree(loader, ignore_errors=True)
        os.makedirs(loader)
        linked, sonames = set(), sonames_in(prefix)
        for soname, path in sorted(sonames.items()):
            if not find_system_library(soname):
                os.symlink(os.path.realpath(path), os.path.join(loader, soname))
                linked.add(soname)
        for e in debs:
            problems += unmet_needs(e, set(sonames), linked)
        for component in use:
            var, rel = CMAKE_HINTS[component]
            hint = "-D%s=%s" % (var, os.path.join(prefix, rel))
            probe_args.append(hint)
            # TBB only where the build looks for it (the emulated kernels): an unused -D makes
            # CMake warn. The probe looks for everything.
            if component != "tbb" or project_mentions(r"find_package\(\s*TBB\b"):
                cmake_args.append(hint)
    hip_args, hip_row = hip_cpu(entries, directory, prefix)
    cmake_args += hip_args
    env = []
    if debs:
        env.append('export LD_LIBRARY_PATH=%s${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}'
                   % shlex.quote(os.path.join(prefix, "loader")))
    wheels = [e for e in entries if e["kind"] == "wheel"]
    if wheels:
        site = os.path.join(prefix, "site")
        py = shutil.which("python3") or sys.executable
        r = run([py, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-compile",
                 "--no-cache-dir", "--upgrade", "--target", site]
                + [os.path.join(directory, e["file"]) for e in wheels])
        if r.returncode != 0:
            problems.append("pip install of the carried wheels failed: %s" % r.stderr.strip()[-300:])
        env.append('export PYTHONPATH=%s${PYTHONPATH:+:$PYTHONPATH}' % shlex.quote(site))
    if use:
        # The configure must find each carried component under the prefix, and the rest where the
        # probe found them. --smoke also builds and runs small programs against them.
        run_env = dict(os.environ)
        if debs:
            loader = os.path.join(prefix, "loader")
            run_env["LD_LIBRARY_PATH"] = loader + (":" + os.environ["LD_LIBRARY_PATH"]
                                                   if os.environ.get("LD_LIBRARY_PATH") else "")
        again = probe(os.path.join(outdir, "probe-carried"), probe_args, smoke=args.smoke,
                      expect_prefix=prefix if len(use) == len(COMPONENTS) else None, env=run_env)
        for component in use:
            ok, version, where = again[component]
            if not ok or not os.path.realpath(where).startswith(os.path.realpath(prefix)):
                problems.append("%s: carried, but CMake found %s" % (component, where or "nothing"))
            rows.append((component, "carried", version or next(
                e["version"] for e in debs if e["name"] == COMPONENTS[component][0]), where))
    if args.all_carried:
        problems += ["%s: found on the system (%s), not taken from the carried folder" % (r[0], r[3])
                     for r in rows if r[1] == "system"]
    rows.append(hip_row)
    rows += [("python wheel", "carried", e["version"], e["name"]) for e in wheels]
    order = list(COMPONENTS) + ["hip-cpu"]
    rows.sort(key=lambda r: order.index(r[0]) if r[0] in order else len(order))
    with open(os.path.join(outdir, "deps.env"), "w") as f:
        f.write("# written by scripts/gpu_deps.py setup: sourced by scripts/gpu-check's phases\n")
        f.write("LSGD_DEPS_CMAKE_ARGS=(%s)\n" % " ".join(shlex.quote(a) for a in cmake_args))
        f.write("\n".join(env) + "\n")
    table = ["| dependency | from | version | where |", "| --- | --- | --- | --- |"]
    table += ["| %s | %s | %s | %s |" % r for r in rows]
    with open(os.path.join(outdir, "deps.md"), "w") as f:
        f.write("\n".join(table) + "\n")
    print("\n".join(table))
    for a in cmake_args:
        print("  cmake " + a)
    for e in env:
        print("  " + e)
    if problems:
        die("the dependencies are not complete:\n  " + "\n  ".join(problems))
    return 0


def hip_cpu(entries, directory, prefix):
    """CMake arguments and a table row for HIP-CPU (the emulated kernels' runtime)."""
    known = project_mentions(r"\bLSGD_HIP_CPU_DIR\b")
    local, commit = hip_cpu_source()
    if local:
        return (["-DLSGD_HIP_CPU_DIR=" + local] if known else []), (
            "hip-cpu", "checkout", commit[:12], local if known else local + " (this build does not use HIP-CPU)")
    tars = [e for e in entries if e["kind"] == "source" and e["component"] == "hip-cpu"]
    if tars:
        target = os.path.join(prefix, "hip-cpu")
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(prefix, exist_ok=True)
        with tarfile.open(os.path.join(directory, tars[0]["file"])) as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(prefix, filter="data")
            else:
                tar.extractall(prefix)
        return (["-DLSGD_HIP_CPU_DIR=" + target] if known else []), (
            "hip-cpu", "carried", tars[0]["version"][:12],
            target if known else target + " (unpacked; this build does not use HIP-CPU)")
    off = ["-DLSGD_KERNELS_ON_CPU=OFF"] if project_mentions(r"\bLSGD_KERNELS_ON_CPU\b") else []
    return off, ("hip-cpu", "absent", "", "emulated kernels not built" if off else "not used by this build")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("dir")
    p.add_argument("--refresh", action="store_true")
    p.add_argument("--wheel", action="append", default=[])
    s = sub.add_parser("setup")
    s.add_argument("dir")
    s.add_argument("prefix")
    s.add_argument("outdir")
    s.add_argument("--smoke", action="store_true")
    s.add_argument("--all-carried", action="store_true",
                   help="fail unless every dependency comes from DIR (the rehearsal: system hidden)")
    v = sub.add_parser("verify")
    v.add_argument("dir")
    args = ap.parse_args()
    return {"prepare": prepare, "setup": setup, "verify": verify_command}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
