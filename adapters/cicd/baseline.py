"""The roll-your-own CI: the repository's Makefile run on each change (``make ci``)."""

from __future__ import annotations

from adapters.cicd.base import PipelineRun, Runner

CI_TARGET = """\
# run on each change: make ci (lint, test, validate, then both models at once)
ci: lint test validate
\t$(MAKE) -j2 model-ridge model-forest
\t$(MAKE) report
"""


class MakeRunner(Runner):
    name = "baseline"

    def config_files(self) -> dict[str, str]:
        return {"ci.mk": CI_TARGET}

    def run_pipeline(self) -> PipelineRun:
        return self.execute(["make", "-f", "Makefile", "-f", "ci.mk", "ci"], r"\[\S+:\d+: (\S+)\]")
