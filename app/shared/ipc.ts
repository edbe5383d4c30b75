/**
 * The IPC channel names between the status window's preload and the main process: one per bridge function
 * (app/shared/bridge.ts), plus the one main sends states on. Nothing else is listened to.
 */
export const IPC = {
  getState: 'appwacht:get-state',
  checkNow: 'appwacht:check-now',
  getLastReport: 'appwacht:get-last-report',
  setLanguage: 'appwacht:set-language',
  openContact: 'appwacht:open-contact',
  /** main → window only. */
  stateChanged: 'appwacht:state-changed',
} as const;

export type InvokeChannel = Exclude<(typeof IPC)[keyof typeof IPC], typeof IPC.stateChanged>;
