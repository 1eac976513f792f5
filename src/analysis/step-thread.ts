/**
 * A reader thread of `readStepLines`: turns ranges of steps.jsonl into typed
 * columns (scanSegment) and sends them back, buffers transferred. A range it
 * cannot read is sent back as failed, to be read on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { errorText } from '../core/index.js';
import { scanSegment, type SegmentTask, type ThreadMessage } from './step-reader.js';

const port = parentPort;
if (port) {
  port.on('message', (task: SegmentTask) => {
    let reply: ThreadMessage;
    let transfer: ArrayBuffer[] = [];
    try {
      const { columns, transfer: buffers } = scanSegment(task);
      reply = { done: columns };
      transfer = buffers;
    } catch (e) {
      reply = { seg: task.seg, failed: errorText(e) };
    }
    port.postMessage(reply, transfer);
  });
  port.postMessage({ ready: true } satisfies ThreadMessage);
}
