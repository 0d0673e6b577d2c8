import { describe, expect, it } from "vitest";
import { requestArrived, requestTurn } from "../src/store/request-turn.ts";
import { sqliteWatch } from "../src/store/sqlite-watch.ts";

/** A database whose data_version is whatever the test sets, counting the reads. */
function fakeDatabase() {
  const state = { version: 1, reads: 0 };
  const database = {
    prepare: () => ({
      raw: () => ({
        get: () => {
          state.reads += 1;
          return [state.version];
        },
      }),
    }),
  };
  return { state, watch: sqliteWatch(database) };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe("data_version read once per request turn", () => {
  it("is read on every call outside a request turn", async () => {
    await nextTurn();
    expect(requestTurn()).toBeUndefined();
    const { state, watch } = fakeDatabase();
    watch.version();
    watch.version();
    expect(state.reads).toBe(2);
  });

  it("serves the requests of one turn from one read, and reads again in the next turn", async () => {
    await nextTurn();
    const { state, watch } = fakeDatabase();
    requestArrived({});
    expect(watch.version()).toBe(1);
    requestArrived({});
    requestArrived({});
    expect(watch.version()).toBe(1);
    expect(state.reads).toBe(1);
    state.version = 2;
    await nextTurn();
    // The turn ended in the check phase: nothing is reused until a request opens the next.
    expect(requestTurn()).toBeUndefined();
    requestArrived({});
    expect(watch.version()).toBe(2);
    expect(state.reads).toBe(2);
  });

  it("reads again for a second request from one socket in one turn (HTTP pipelining)", async () => {
    await nextTurn();
    const { state, watch } = fakeDatabase();
    const socket = {};
    requestArrived(socket);
    expect(watch.version()).toBe(1);
    // Sent after the commit, read from the socket with the first request after this turn's read.
    state.version = 2;
    requestArrived({});
    expect(watch.version()).toBe(1);
    requestArrived(socket);
    expect(watch.version()).toBe(2);
    expect(state.reads).toBe(2);
  });
});
