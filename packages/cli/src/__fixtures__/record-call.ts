/**
 * Fixture flows record hook and task calls here, so a test sees what ran however the flow
 * module was loaded (the array lives on globalThis, shared by every module instance).
 */
export function recordCall(call: string): void {
  const calls = (globalThis as { __flowenvCliCalls?: string[] }).__flowenvCliCalls;
  calls?.push(call);
}
