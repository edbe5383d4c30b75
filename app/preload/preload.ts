/**
 * The status window's preload (sandboxed: only `electron`'s renderer modules, bundled to CommonJS by
 * scripts/bundle-app.mjs). Exposes named functions only — never ipcRenderer itself, never a function that takes a
 * channel name — as `window.appwacht`, exactly the type app/shared/bridge.ts declares (`satisfies Bridge`).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { BRIDGE_KEY, type AppState, type Bridge } from '../shared/bridge.js';
import { IPC } from '../shared/ipc.js';

const bridge = {
  getState: () => ipcRenderer.invoke(IPC.getState),
  checkNow: () => ipcRenderer.invoke(IPC.checkNow),
  getLastReport: () => ipcRenderer.invoke(IPC.getLastReport),
  setLanguage: (lang) => ipcRenderer.invoke(IPC.setLanguage, lang),
  openContact: (kind) => ipcRenderer.invoke(IPC.openContact, kind),
  onStateChanged(listener) {
    // The event object (with its sender) never reaches the page: only the state.
    const wrapped = (_event: IpcRendererEvent, state: AppState) => listener(state);
    ipcRenderer.on(IPC.stateChanged, wrapped);
    return () => void ipcRenderer.removeListener(IPC.stateChanged, wrapped);
  },
} satisfies Bridge;

contextBridge.exposeInMainWorld(BRIDGE_KEY, bridge);
