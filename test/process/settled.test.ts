import { describe, expect, it } from "vitest";
import { overlaySettled } from "../../scripts/local-cluster.js";

/** Views from an edge list "a-b c-d". */
function views(edges: string, nodes: string[]): Map<string, Map<string, true>> {
  const v = new Map(nodes.map((n) => [n, new Map<string, true>()]));
  for (const e of edges.split(" ").filter(Boolean)) {
    const [a, b] = e.split("-") as [string, string];
    v.get(a)!.set(b, true);
    v.get(b)!.set(a, true);
  }
  return v;
}

describe("overlaySettled (the convergence condition of the process tests and the bench)", () => {
  const five = ["a", "b", "c", "d", "e"];
  it("accepts a full, symmetric overlay", () => {
    expect(overlaySettled(views("a-b b-c c-d d-e e-a", five), five, 2)).toBe(true);
  });
  it("rejects two short nodes that could still link", () => {
    expect(overlaySettled(views("a-b b-c c-d d-e", five), five, 2)).toBe(false);
  });
  it("accepts short nodes that have no free partner left (a clique of short nodes)", () => {
    expect(overlaySettled(views("a-b b-c c-a d-e", five), five, 2)).toBe(true);
  });
  it("rejects a node with an empty view (its high-priority NEIGHBOR is always accepted)", () => {
    expect(overlaySettled(views("a-b b-c c-a", ["a", "b", "c", "d"]), ["a", "b", "c", "d"], 2)).toBe(false);
  });
  it("rejects asymmetric views and views naming a node outside the members", () => {
    const v = views("a-b b-c c-d d-e e-a", five);
    v.get("a")!.delete("b");
    expect(overlaySettled(v, five, 2)).toBe(false);
    expect(overlaySettled(views("a-b b-c c-d d-e e-a", five), ["a", "b", "c", "d"], 2)).toBe(false);
  });
  it("caps the full size at members - 1", () => {
    expect(overlaySettled(views("a-b", ["a", "b"]), ["a", "b"], 5)).toBe(true);
  });
});
