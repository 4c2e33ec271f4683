"""The demo city: a seeded, clearly synthetic manufacturing city, and data at benchmark scale.

* :func:`chainwatch.demo.generator.generate` builds the city as DataFrames (one per import kind);
* :func:`chainwatch.demo.loader.build_demo` loads them through the store's import path and writes
  the ground truth (``demo_truth_enterprise``, ``demo_truth_segment``, ``demo_info``);
* :mod:`chainwatch.demo.scale` streams monthly values, whole benchmark databases and firm networks.
"""
