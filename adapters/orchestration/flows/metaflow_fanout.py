"""A wide fan-out as a Metaflow flow: ``start``, a ``foreach`` of 100 no-op tasks, a join,
``end``. A benchmark fixture of the team topology, not part of the user's pipeline."""

from metaflow import FlowSpec, step

from scenarios import pipeline

WIDTH = 100


class FanoutFlow(FlowSpec):
    @step
    def start(self):
        pipeline.noop()
        self.items = list(range(WIDTH))
        self.next(self.fan, foreach="items")

    @step
    def fan(self):
        pipeline.noop()
        self.next(self.join)

    @step
    def join(self, inputs):
        pipeline.noop()
        self.next(self.end)

    @step
    def end(self):
        pipeline.noop()


if __name__ == "__main__":
    FanoutFlow()
