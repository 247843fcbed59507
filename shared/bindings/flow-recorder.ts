// Every service → console (entrypoint "FlowRecorder"): append events to the live flow; nothing
// that reads the flow or anything else of the console.
import type { FlowEvent } from "../flow";

export interface FlowRecorderBinding {
  record(events: FlowEvent[]): Promise<void>;
}
