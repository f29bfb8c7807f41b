#!/usr/bin/env python3
"""Unit tests of scripts/gpu_deps.py, gpu_wheels.py and gpu_rehearse.py (issue 23) on synthetic inputs: the
manifest and its sha256 check, the symbol-version needs against this system, the wheel scan of the
check's Python, and the build-time estimate. The end-to-end path is ctest's
gpu_check_rehearsal_smoke."""
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
import gpu_deps  # noqa: E402
import gpu_rehearse  # noqa: E402
import gpu_wheels  # noqa: E402


def write_manifest(directory, rows):
    with open(os.path.join(directory, gpu_deps.MANIFEST), "w") as f:
        f.write("# comment\n# kind\tcomponent\tname\tversion\tfile\tbytes\tsha256\tneeds\n")
        for r in rows:
            f.write("\t".join(str(x) for x in r) + "\n")


class Manifest(unittest.TestCase):
    def test_a_changed_or_missing_file_is_reported(self):
        with tempfile.TemporaryDirectory() as d:
            for name, text in (("a.deb", b"first"), ("b.deb", b"second")):
                with open(os.path.join(d, name), "wb") as f:
                    f.write(text)
            good = gpu_deps.sha256_of(os.path.join(d, "a.deb"))
            write_manifest(d, [("deb", "eigen", "libeigen3-dev", "3.4.0-4", "a.deb", 5, good, "-"),
                               ("deb", "gtest", "libgtest-dev", "1.12", "b.deb", 6, "0" * 64, "-"),
                               ("deb", "gtest", "libgmock-dev", "1.12", "c.deb", 1, "0" * 64, "-")])
            entries = gpu_deps.read_manifest(d)
            self.assertEqual([e["name"] for e in entries], ["libeigen3-dev", "libgtest-dev", "libgmock-dev"])
            problems = gpu_deps.verify(d, entries)
            self.assertEqual(problems, ["b.deb: sha256 differs from the manifest", "c.deb: missing"])
            self.assertEqual(gpu_deps.verify(d, entries[:1]), [])

    def test_no_manifest_is_none(self):
        with tempfile.TemporaryDirectory() as d:
            self.assertIsNone(gpu_deps.read_manifest(d))


class Needs(unittest.TestCase):
    def test_versions_this_system_lacks_are_named(self):
        entry = {"name": "libfuture", "needs": "libc.so.6:GLIBC_2.2.5,libc.so.6:GLIBC_99.0,"
                                               "libhwloc.so.15:HWLOC_2.0,libgfortran.so.5:GFORTRAN_8"}
        # libhwloc: neither base runtime nor carried (optional); libgfortran: provided by the loader.
        problems = gpu_deps.unmet_needs(entry, {"libgfortran.so.5"}, {"libgfortran.so.5"})
        self.assertEqual(len(problems), 1, problems)
        self.assertIn("GLIBC_99.0", problems[0])
        self.assertIn("libfuture", problems[0])

    def test_format_and_parse_round_trip(self):
        needs = {("libc.so.6", "GLIBC"): "2.34", ("libstdc++.so.6", "GLIBCXX"): "3.4.30"}
        text = gpu_deps.format_needs(needs)
        self.assertEqual(gpu_deps.parse_needs(text),
                         [("libc.so.6", "GLIBC", "2.34"), ("libstdc++.so.6", "GLIBCXX", "3.4.30")])
        self.assertEqual(gpu_deps.format_needs({}), "-")
        self.assertEqual(gpu_deps.parse_needs("-"), [])

    def test_version_order_is_numeric(self):
        self.assertLess(gpu_deps.version_key("3.4.9"), gpu_deps.version_key("3.4.30"))
        self.assertLess(gpu_deps.version_key("2.9"), gpu_deps.version_key("2.34"))


class Wheels(unittest.TestCase):
    def test_only_modules_missing_from_the_image_need_a_wheel(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "peers"))
            with open(os.path.join(d, "peers", "peer.py"), "w") as f:
                f.write("import json, numpy as np\nimport sklearn.linear_model\n"
                        "from helper import x\nfrom . import sibling\n"
                        "def f():\n    import zzz_not_in_image.sub\n")
            with open(os.path.join(d, "peers", "helper.py"), "w") as f:
                f.write("x = 1\n")
            saved = gpu_wheels.ROOT, gpu_wheels.PYTHON_SOURCES
            gpu_wheels.ROOT, gpu_wheels.PYTHON_SOURCES = d, ["peers"]
            try:
                needed = gpu_wheels.wheels_needed(["extra-pkg==1.0"])
            finally:
                gpu_wheels.ROOT, gpu_wheels.PYTHON_SOURCES = saved
        # numpy and scikit-learn are in the image; json is standard; helper is ours.
        self.assertEqual(sorted(needed), ["extra-pkg", "zzz-not-in-image"])

    def test_the_check_needs_no_wheel_today(self):
        # What the peers, the figures and the JSON checks import is all in the GPU image (KINDS.md).
        self.assertEqual(gpu_wheels.wheels_needed([]), {})


class Estimate(unittest.TestCase):
    def test_cores_and_the_longest_step_bound_the_estimate(self):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, ".ninja_log"), "w") as f:
                f.write("# ninja log v5\n")
                for i, ms in enumerate([40000, 10000, 10000, 10000, 10000]):
                    f.write("0\t%d\t0\tobj%d.o\thash%d\n" % (ms, i, i))
                # A second output of the 40 s step (a link and its test list): counted once.
                f.write("0\t40000\t0\tobj0_tests.cmake\thash0\n")

            class Args:
                build_dir, cpu_seconds, cores = d, 40.0, 16
            # 80 s of job wall time for 40 s of CPU: scale 0.5; longest step 20 s CPU; x 1.25.
            self.assertAlmostEqual(gpu_rehearse.build_estimate(Args), 25.0)
            Args.cores = 1
            self.assertAlmostEqual(gpu_rehearse.build_estimate(Args), 50.0)


if __name__ == "__main__":
    unittest.main()
