"""An nbconvert execute preprocessor that keeps listening after a cell reports idle.

Deno 2.9.6's kernel can publish a cell's output after its `status: idle` message; nbclient stops
reading a cell's IOPub messages at idle, so such late outputs were dropped (or skipped by the next
cell, whose parent id differs). This preprocessor reads on until no message has arrived for
`grace` seconds, so late outputs land in the cell that produced them.

Used by tools/notebooks.ts:
    PYTHONPATH=tools jupyter nbconvert --to notebook \
      --NotebookExporter.preprocessors='["grace_execute.GraceExecutePreprocessor"]' ...
"""
from queue import Empty

from nbclient.exceptions import CellExecutionComplete
from nbclient.util import ensure_async
from nbconvert.preprocessors import ExecutePreprocessor
from traitlets import Float


class GraceExecutePreprocessor(ExecutePreprocessor):
    grace = Float(0.25, help="seconds of IOPub silence that end a cell after idle").tag(config=True)

    async def _async_poll_output_msg(self, parent_msg_id, cell, cell_index):
        assert self.kc is not None
        while True:
            msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=None))
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    break
        while True:
            try:
                msg = await ensure_async(self.kc.iopub_channel.get_msg(timeout=self.grace))
            except Empty:
                return
            if msg["parent_header"].get("msg_id") == parent_msg_id:
                try:
                    self.process_message(msg, cell, cell_index)
                except CellExecutionComplete:
                    pass
