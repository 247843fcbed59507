// Every service → console (entrypoint "FlowRecorder"): append events to the live flow, and (Resource
// Manager's reset) clear it; nothing that reads the flow or anything else of the console.
import type { FlowEvent } from "../flow";

export interface FlowRecorderBinding {
  record(events: FlowEvent[]): Promise<void>;
  /** POST {arm}/emulator/reset: the flow starts empty again. */
  clear(): Promise<void>;
}
