#!/usr/bin/env python3
"""The Python side of the GPU check's carried dependencies (used by gpu_deps.py prepare): which
third-party modules the check's Python imports, which of them the GPU machine's image lacks, and
their wheels for Python 3.12 on x86-64, fetched here with pip (the GPU machine has no registry)."""
import ast
import os
import re
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class WheelError(Exception):
    """A wheel the check needs cannot be had: the message says which and why."""

# Distributions in the GPU machine's image (the device tool's KINDS.md, package list read
# 2026-11-17): a module whose distribution is here needs no wheel.
IMAGE_DISTRIBUTIONS = set("""
absl-py accelerate aiofiles aiohappyeyeballs aiohttp aiosignal annotated-doc anyio attrs botorch build
certifi charset-normalizer chex click cloudpickle cmake colorama contourpy coverage cuda-bindings
cuda-core cuda-pathfinder cuda-toolkit cupy-cuda13x cycler cython diffrax e3nn einops equinox etils
execnet filelock flatbuffers flax fonttools formulaic frozenlist fsspec gpytorch grpcio h11 h5py
hf-xet httpcore httpx huggingface-hub humanize hypothesis idna imageio iniconfig interface-meta jax
jax-cuda13-pjrt jax-cuda13-plugin jaxlib jaxtyping jinja2 joblib kiwisolver lazy-loader lightning
lightning-utilities linear-operator lineax llvmlite lxml markdown markdown-it-py markupsafe matplotlib
mdurl meson ml-dtypes mpi4py mpmath msgpack multidict multipledispatch mypy-extensions nanobind
narwhals networkx ninja numba numba-cuda numpy numpyro nvidia-cublas nvidia-cuda-cupti
nvidia-cuda-nvrtc nvidia-cuda-runtime nvidia-cudnn-cu13 nvidia-cufft nvidia-cufile nvidia-curand
nvidia-cusolver nvidia-cusparse nvidia-cusparselt-cu13 nvidia-ml-py nvidia-nccl-cu13 nvidia-nvjitlink
nvidia-nvshmem-cu13 nvidia-nvtx onnx onnx-ir onnxruntime onnxscript opencv-python-headless optax
opt-einsum opt-einsum-fx optimistix orbax-checkpoint packaging pandas pathspec patsy peft pillow pip
pluggy portalocker prometheus-client propcache protobuf psutil pyarrow pybind11 py-cpuinfo pygments
pyparsing pyproject-hooks pyre-extensions pytest pytest-benchmark pytest-cov pytest-mock
pytest-timeout pytest-xdist python-dateutil pytorch-lightning pyyaml regex requests rich sacrebleu
safetensors scikit-build-core scikit-image scikit-learn scipy seaborn sentencepiece
sentence-transformers setuptools shellingham simplejson six sortedcontainers statsmodels sympy
tabulate tensorboard tensorboard-data-server tensorstore threadpoolctl tifffile tiktoken timm
tokenizers toolz torch torchaudio torchdiffeq torch-geometric torchmetrics torchvision tqdm
transformers treescope triton typer typing-extensions typing-inspect urllib3 uvloop wadler-lindig
werkzeug wheel wrapt xarray xxhash yarl zipp
""".split())
# Import names that differ from their distribution's name.
MODULE_DISTRIBUTION = {
    "sklearn": "scikit-learn", "skimage": "scikit-image", "cv2": "opencv-python-headless",
    "yaml": "pyyaml", "PIL": "pillow", "dateutil": "python-dateutil", "mpl_toolkits": "matplotlib",
    "google": "protobuf", "cpuinfo": "py-cpuinfo", "attr": "attrs", "pkg_resources": "setuptools",
    "typing_extensions": "typing-extensions", "pynvml": "nvidia-ml-py",
}
# The Python the check runs on the GPU machine: the peers, the figures, the JSON checks.
PYTHON_SOURCES = ["bench/peers", "tools", "scripts"]
WHEEL_PLATFORMS = ["manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64",
                   "manylinux2014_x86_64", "manylinux1_x86_64"]


def third_party_modules():
    """Top-level modules the check's Python imports that are neither standard library nor ours."""
    local, imported = set(), {}
    files = []
    for d in PYTHON_SOURCES:
        for name in sorted(os.listdir(os.path.join(ROOT, d))):
            if name.endswith(".py"):
                files.append(os.path.join(d, name))
                local.add(name[:-3])
    # The project's own Python package (python/lsgd, built by the project's CMake) is ours too.
    for name in os.listdir(os.path.join(ROOT, "python")) if os.path.isdir(os.path.join(ROOT, "python")) else ():
        if os.path.isfile(os.path.join(ROOT, "python", name, "__init__.py")):
            local.add(name)
    for rel in files:
        try:
            with open(os.path.join(ROOT, rel)) as f:
                tree = ast.parse(f.read(), rel)
        except SyntaxError as e:
            raise WheelError("%s does not parse: %s" % (rel, e))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for n in names:
                imported.setdefault(n.split(".")[0], rel)
    stdlib = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names)
    return {m: rel for m, rel in imported.items() if m not in stdlib and m not in local}


def normalize(dist):
    return re.sub(r"[-_.]+", "-", dist).lower()


def wheels_needed(extra):
    needed = {}
    for module, rel in sorted(third_party_modules().items()):
        dist = MODULE_DISTRIBUTION.get(module, module)
        if normalize(dist) not in IMAGE_DISTRIBUTIONS:
            needed[normalize(dist)] = "%s (imported by %s)" % (dist, rel)
    for spec in extra:
        needed[normalize(re.split(r"[=<>!~ ]", spec)[0])] = spec
    return needed


def download_wheels(needed, extra, directory, log):
    entries = []
    specs = {normalize(re.split(r"[=<>!~ ]", s)[0]): s for s in extra}
    for dist in sorted(needed):
        spec = specs.get(dist, dist)
        before = set(os.listdir(directory))
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
               "--python-version", "3.12", "--implementation", "cp", "-d", directory]
        for p in WHEEL_PLATFORMS:
            cmd += ["--platform", p]
        cmd.append(spec)
        r = subprocess.run(cmd, check=False, text=True, capture_output=True)
        new = sorted(set(os.listdir(directory)) - before)
        if r.returncode != 0 or not new:
            raise WheelError("no wheel for %s (%s) for Python 3.12 on x86-64: %s" % (spec, needed[dist], r.stderr.strip()[-400:]))
        for filename in new:
            name, version = filename.split("-")[:2]
            entries.append(dict(kind="wheel", component="python", name=name, version=version,
                                file=filename, needs="-"))
            log.append("wheel %s %s: %s" % (name, version, needed[dist]))
    # Their requirements must be in the image or carried too (pip there runs with --no-deps).
    carried = {normalize(e["name"]) for e in entries}
    for e in entries:
        with zipfile.ZipFile(os.path.join(directory, e["file"])) as z:
            meta = [n for n in z.namelist() if n.endswith(".dist-info/METADATA")]
            text = z.read(meta[0]).decode() if meta else ""
        for line in text.splitlines():
            if line.startswith("Requires-Dist:") and "extra ==" not in line:
                req = normalize(re.split(r"[ ;<>=!~(\[]", line.split(":", 1)[1].strip())[0])
                if req not in IMAGE_DISTRIBUTIONS and req not in carried:
                    raise WheelError("wheel %s requires %s, which the GPU image lacks: add --wheel %s==VERSION"
                        % (e["file"], req, req))
    return entries
