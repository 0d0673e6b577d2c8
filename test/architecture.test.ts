import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * The layers of src/, lowest first: a module may import from its own folder or from a lower layer, never from
 * its own layer's other folders or from above. Nothing imports src/cli/; only the CLI knows exit codes.
 */
const LAYERS: readonly (readonly string[])[] = [["shared"], ["contract"], ["store", "client", "checker"], ["auth"], ["admin", "server"], ["cli"]];

const rankOf = new Map(LAYERS.flatMap((folders, rank) => folders.map((folder): [string, number] => [folder, rank])));

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith(".ts") ? [join(dir, entry.name)] : [],
  );
}

/** The import graph of src/: static, type-only and dynamic imports, by file path relative to the repository. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources("src")) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    const targets = importedFiles.filter((i) => i.fileName.startsWith(".")).map((i) => normalize(join(dirname(file), i.fileName)));
    graph.set(file, targets);
  }
  return graph;
}

/** The folder under src/ a file belongs to ("generated" for the contract's generated types outside src/). */
function folderOf(file: string): string {
  const [top, folder] = relative(".", file).split("/");
  return top === "src" ? folder! : top!;
}

/** The import cycles of the graph: its strongly connected components of more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indices.get(next)!));
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)!.includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

describe("the module graph of src/", () => {
  const graph = importGraph();

  it("has no import cycle, type-only imports included", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("points inward: no module imports from its own layer's other folders or from a layer above", () => {
    const upward: string[] = [];
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      for (const target of targets) {
        const to = folderOf(target);
        if (to === from || to === "generated") continue;
        const [fromRank, toRank] = [rankOf.get(from), rankOf.get(to)];
        if (fromRank === undefined || toRank === undefined || toRank >= fromRank) upward.push(`${file} → ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("knows every folder of src/ (a new folder is given its layer here)", () => {
    const folders = new Set([...graph.keys()].map(folderOf));
    expect([...folders].filter((f) => !rankOf.has(f))).toEqual([]);
  });

  // The checks above can fail: a cycle and an upward import planted in a copy of the graph are found.
  it("finds a planted cycle", () => {
    const planted = new Map(graph);
    planted.set("src/shared/text.ts", [...(graph.get("src/shared/text.ts") ?? []), "src/shared/url.ts"]);
    planted.set("src/shared/url.ts", [...(graph.get("src/shared/url.ts") ?? []), "src/shared/text.ts"]);
    expect(cycles(planted)).toContainEqual(["src/shared/text.ts", "src/shared/url.ts"]);
  });
});
