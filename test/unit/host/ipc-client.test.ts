/**
 * Electron's side of rollout ownership: the IPC gate tells the back end which page a request came from with an
 * AbortSignal that is aborted when that page goes (main-frame navigation to another document, reload, renderer
 * crash, destroyed web contents) but not on in-page navigation. A fake web contents stands in for Electron's.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { ApiBackend, InvokeContext } from '../../../core/api/contract.js';
import { clientSignals, createIpcGate, type ClientContents } from '../../../electron/ipc.js';

class FakeContents extends EventEmitter implements ClientContents {
  navigate(isMainFrame: boolean, isSameDocument: boolean): void {
    this.emit('did-start-navigation', { isMainFrame, isSameDocument, url: 'app://policylab/index.html' });
  }
}

describe('IPC client signals', () => {
  it('aborts a page’s signal when it navigates to another document, and gives the next page a fresh one', () => {
    const signalOf = clientSignals();
    const contents = new FakeContents();
    const first = signalOf(contents);
    expect(signalOf(contents)).toBe(first);
    contents.navigate(true, true); // hash / history change inside the app
    contents.navigate(false, false); // a subframe
    expect(first.aborted).toBe(false);
    contents.navigate(true, false); // reload or navigation away
    expect(first.aborted).toBe(true);
    const second = signalOf(contents);
    expect(second.aborted).toBe(false);
    expect(second).not.toBe(first);
    // Listeners are attached once per web contents, not once per page.
    expect(contents.listenerCount('did-start-navigation')).toBe(1);
  });

  it('aborts when the renderer crashes or the web contents is destroyed, per web contents', () => {
    const signalOf = clientSignals();
    const a = new FakeContents();
    const b = new FakeContents();
    const crashed = signalOf(a);
    const bystander = signalOf(b);
    a.emit('render-process-gone');
    expect(crashed.aborted).toBe(true);
    const afterCrash = signalOf(a);
    a.emit('destroyed');
    expect(afterCrash.aborted).toBe(true);
    expect(bystander.aborted).toBe(false);
  });

  it('passes the sender’s signal to the back end with every request that passes the gate', async () => {
    const contexts: (InvokeContext | undefined)[] = [];
    const backend: ApiBackend = {
      invoke: async (_channel, _payload, context) => {
        contexts.push(context);
        return { ok: true, value: null };
      },
      subscribe: () => () => {},
    };
    const gate = createIpcGate(backend);
    const contents = new FakeContents();
    const frame = { url: 'app://policylab/index.html', parent: null };
    await gate({ senderFrame: frame, sender: contents }, 'runs:list', undefined);
    await gate({ senderFrame: frame, sender: contents }, 'runs:list', undefined);
    await gate({ senderFrame: frame }, 'runs:list', undefined);
    expect(contexts).toHaveLength(3);
    const signal = contexts[0]!.clientGone!;
    expect(contexts[1]!.clientGone).toBe(signal);
    expect(contexts[2]).toBeUndefined();
    contents.emit('destroyed');
    expect(signal.aborted).toBe(true);
    // A refused request never reaches the back end, so it owns nothing.
    await gate({ senderFrame: { url: 'https://evil.example/', parent: null }, sender: contents }, 'runs:list', undefined);
    expect(contexts).toHaveLength(3);
  });
});
