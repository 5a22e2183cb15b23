"""The roll-your-own CI: the repository's Makefile run on each change (``make ci``).

Its probes are a ``probe`` target in ``probe.mk``, run with ``make -f probe.mk probe``;
its cache is make's own up-to-date check (a target whose file exists is not rebuilt),
its secret an environment variable.
"""

from __future__ import annotations

from adapters.cicd import base
from adapters.cicd.base import PipelineRun, Runner

CI_TARGET = """\
# run on each change: make ci (lint, test, validate, then both models at once)
ci: lint test validate
\t$(MAKE) -j2 model-ridge model-forest
\t$(MAKE) report
"""
PROBE_PATH = "probe.mk"


class MakeRunner(Runner):
    name = "baseline"

    def config_files(self) -> dict[str, str]:
        return {"ci.mk": CI_TARGET}

    def run_pipeline(self) -> PipelineRun:
        return self.execute(["make", "-f", "Makefile", "-f", "ci.mk", "ci"], r"\[\S+:\d+: (\S+)\]")

    def probe_config(self, feature: str) -> dict[str, str]:
        if feature == base.CACHE:  # the cached work is a file target make skips when present
            build = self.probe_step(feature, step=base.CACHE_BUILD)
            return {PROBE_PATH: f"probe: .probe-cache/stamp\n\n.probe-cache/stamp:\n\t{build}\n"}
        step = self.probe_step(feature, secret="$$" + base.SECRET_NAME)
        return {PROBE_PATH: f"probe:\n\t{step}\n"}

    def probe_run(self, feature: str, branch: str = "main") -> PipelineRun:
        return self.execute(["make", "-f", PROBE_PATH, "probe"], r"\[\S+:\d+: (\S+)\]")
