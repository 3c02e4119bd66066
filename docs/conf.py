"""Sphinx configuration of sknn's documentation.

Build it from the repository's root (``pip install ".[docs]"`` first):

    sphinx-build -W -b html docs docs/_build/html

``-W`` turns warnings into errors; the gallery (``examples/``) is executed.
"""

from threadpoolctl import threadpool_limits

import sknn

# The gallery's networks are small: one BLAS thread fits them about as fast
# as two, and its threads cannot spin against other processes on a shared
# machine.
_blas_limits = threadpool_limits(limits=1, user_api="blas")

project = "sknn"
author = "the sknn developers"
copyright = "2026, the sknn developers"
release = sknn.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
templates_path = ["_templates"]
exclude_patterns = ["_build"]

# API reference: one page per public class, at api/generated/sknn.NAME.html
# (the estimators' HTML representation links there).
autosummary_generate = True
autodoc_default_options = {
    "members": True,
    "inherited-members": True,
    # scikit-learn's metadata-routing methods, the same for every estimator,
    # and a transformer's set_output, documented by scikit-learn (their
    # docstrings use its glossary)
    "exclude-members": "get_metadata_routing, set_fit_request, "
    "set_partial_fit_request, set_score_request, set_output",
}
# Signatures without the annotations (numpy's ArrayLike would print as a
# union of a dozen private types); the numpydoc sections give each type in
# words, as scikit-learn's pages do.
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# markdown (README, CHANGELOG and CONTRIBUTING are included from the root)
myst_heading_anchors = 3

html_theme = "pydata_sphinx_theme"
html_title = f"sknn {release}"
html_theme_options = {
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 6,
}
html_context = {"default_mode": "light"}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "within_subsection_order": "FileNameSortKey",
    # mini-galleries on the API pages: the examples that use each class
    "doc_module": ("sknn",),
    "backreferences_dir": "api/generated/backreferences",
    "abort_on_example_error": True,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 1,
}
