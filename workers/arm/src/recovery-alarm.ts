// Durable Objects of Resource Manager that take steps across workers note what is left to finish
// before each step (write-ahead). The next operation on the object finishes it; so does an alarm
// set with the note, which also fires after a crash and a restart (alarms are stored with the
// object), so a killed process heals without anyone touching the resource again.

/** How soon a noted clean-up runs on its own, and how long to wait before retrying a failed one. */
export const RECOVERY_DELAY_MS = 1_000;
export const RECOVERY_RETRY_MS = 10_000;

export async function scheduleRecovery(storage: DurableObjectStorage, delayMs = RECOVERY_DELAY_MS): Promise<void> {
  const at = Date.now() + delayMs;
  const current = await storage.getAlarm();
  if (current === null || current > at) await storage.setAlarm(at);
}
