#!/usr/bin/env python3
"""scripts/check_layers.py on synthetic source trees: a wrong-layer include fails, a right one passes."""

import contextlib
import io
import os
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
import check_layers  # noqa: E402


def tree(files):
    root = tempfile.mkdtemp(prefix="lsgd_layers_")
    for layer in ("include/lsgd", "core", "cpu"):
        os.makedirs(os.path.join(root, layer), exist_ok=True)
    for path, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
        with open(os.path.join(root, path), "w") as f:
            f.write(text)
    return root


def run(root):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = check_layers.main(["--root", root])
    return rc, err.getvalue()


class Layers(unittest.TestCase):
    def test_allowed_includes_pass(self):
        rc, err = run(tree({
            "include/lsgd/solver.hpp": '#include "lsgd/problem.hpp"\n',
            "common/lapack.hpp": '#include "lsgd/error.hpp"\n#include <vector>\n',
            "core/metrics.cpp": '#include "common/lapack.hpp"\n#include "core/io_csv.hpp"\n',
            "cpu/gd.cpp": '#include "core/registry.hpp"\n#include "gd_common.hpp"\n',
            "mpi/gd.cpp": '#include "cpu/gd_common.hpp"\n',
            "bench/gpu.cpp": '#include "kernels/cuda_raii.hpp"\n#include "tools/advise.hpp"\n',
            "tests/t.cpp": '#include "tools/cli_args.hpp"\n#include "kernels/gd.cuh"\n',
        }))
        self.assertEqual(rc, 0, err)

    def test_core_including_cpu_fails_and_names_the_line(self):
        rc, err = run(tree({"core/conditioning.cpp": '// x\n#include "cpu/lapack.hpp"\n'}))
        self.assertEqual(rc, 1)
        self.assertIn('core/conditioning.cpp:2: #include "cpu/lapack.hpp": layer core/ may not '
                      'include cpu/', err)

    def test_backend_internals_closed_to_applications(self):
        rc, err = run(tree({"bench/x.cpp": '#include "kernels/bgd_kernels.cuh"\n',
                            "tools/y.cpp": '#include "cpu/gd_common.hpp"\n',
                            "bench/z.cpp": '#include "tools/cli_args.hpp"\n'}))
        self.assertEqual(rc, 1)
        self.assertEqual(err.count("may not include"), 3, err)

    def test_kernels_may_not_include_cpu_nor_public_headers_internals(self):
        rc, err = run(tree({"kernels/k.cu": '#include "cpu/double_double.hpp"\n',
                            "include/lsgd/a.hpp": '#include "core/registry.hpp"\n'}))
        self.assertEqual(rc, 1)
        self.assertIn("layer kernels/ may not include cpu/", err)
        self.assertIn("layer include/ may not include core/ (it may use nothing)", err)

    def test_relative_parent_includes_refused(self):
        rc, err = run(tree({"cpu/a.cpp": '#include "../core/registry.hpp"\n'}))
        self.assertEqual(rc, 1)
        self.assertIn("not with ../", err)

    def test_not_a_source_tree(self):
        rc, _ = run(tempfile.mkdtemp())
        self.assertEqual(rc, 2)


if __name__ == "__main__":
    unittest.main()
