"""The sales pipeline as a Metaflow flow: ``start`` loads, ``end`` saves.

Run as ``python metaflow_sales.py --no-pylint run --run_dir RUN_DIR``. Artifacts are
the file paths the steps return; the training fan-out is a ``foreach``.
"""

from metaflow import FlowSpec, Parameter, retry, step

from scenarios import pipeline
from scenarios.model import CONFIGS


class SalesFlow(FlowSpec):
    run_dir = Parameter("run_dir", required=True)

    @retry(times=1, minutes_between_retries=0)
    @step
    def start(self):
        self.raw = pipeline.load(self.run_dir)
        self.next(self.validate)

    @retry(times=1, minutes_between_retries=0)
    @step
    def validate(self):
        self.raw = pipeline.validate(self.run_dir, self.raw)
        self.next(self.features)

    @retry(times=1, minutes_between_retries=0)
    @step
    def features(self):
        self.split = pipeline.features(self.run_dir, self.raw)
        self.configs = list(CONFIGS)
        self.next(self.train, foreach="configs")

    @retry(times=1, minutes_between_retries=0)
    @step
    def train(self):
        self.score = pipeline.train(self.run_dir, self.split, self.input)
        self.next(self.pick_best)

    @retry(times=1, minutes_between_retries=0)
    @step
    def pick_best(self, inputs):
        self.merge_artifacts(inputs, include=["split"])
        self.best = pipeline.pick_best(self.run_dir, [branch.score for branch in inputs])
        self.next(self.evaluate)

    @retry(times=1, minutes_between_retries=0)
    @step
    def evaluate(self):
        self.predictions = pipeline.evaluate(self.run_dir, self.best, self.split)
        self.next(self.end)

    @retry(times=1, minutes_between_retries=0)
    @step
    def end(self):
        self.model = pipeline.save(self.run_dir, self.best)


if __name__ == "__main__":
    SalesFlow()
