/** The simulator's peer records: plain PeerRecords to everyone but the simulator, which reads the
 * node index they carry. */
import { describe, expect, it } from "vitest";
import { parseIndex, peerIndex, simRecord } from "../../src/sim/records.js";
import { Simulation } from "../../src/sim/index.js";

describe("simulator records", () => {
  it("look like plain records: four enumerable fields, frozen, equal to the literal", () => {
    const r = simRecord(42, 3);
    expect(r).toEqual({ id: "n42", address: "sim:42", incarnation: 3, metadata: {} });
    expect(Object.keys(r).sort()).toEqual(["address", "id", "incarnation", "metadata"]);
    expect(JSON.parse(JSON.stringify(r))).toEqual({ id: "n42", address: "sim:42", incarnation: 3, metadata: {} });
    expect(Object.isFrozen(r)).toBe(true);
    expect(() => {
      (r as { id: string }).id = "x";
    }).toThrow(TypeError);
  });

  it("give their node index; any other record's index is parsed from its id, n<i>", () => {
    expect(peerIndex(simRecord(7, 1))).toBe(7);
    expect(peerIndex({ id: "n123", address: "elsewhere", incarnation: 1, metadata: {} })).toBe(123);
    expect(parseIndex("n", 1)).toBe(-1);
    expect(parseIndex("n1x", 1)).toBe(-1);
    expect(parseIndex("sim:12", 4)).toBe(12);
  });

  it("are the records the simulation hands out, a new one per run of a node", () => {
    const sim = new Simulation({ seed: 1, nodes: 3 });
    const first = sim.record(2);
    expect(peerIndex(first)).toBe(2);
    sim.crash(2);
    sim.restart(2, [0]);
    expect(sim.record(2)).not.toBe(first);
    expect(sim.record(2).incarnation).toBe(first.incarnation + 1);
    expect(peerIndex(sim.record(2))).toBe(2);
  });
});
