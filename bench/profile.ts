// `npm run bench:profile -- [--target server_settings|bare|login|mixed] [--seconds N] [--top N] [--keep DIR]`: runs the
// real server under `node --cpu-prof`, loads it with one kind of request, stops it (SIGTERM, as an operator
// would) and prints where its main thread spent the time: self time by package or source file, and the
// functions with the most self time. Shares, not absolute times: they move far less with other load on the
// machine. `--keep DIR` leaves the .cpuprofile there (open it in Chrome's DevTools).
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { startBareServer } from "./framework-overhead.ts";
import { type BenchChild, ROOT, startBenchServer } from "./lib.ts";
import { type BenchRequest, expectStatuses, MIXED, REQUESTS } from "./requests.ts";
import { runLoad } from "./settings.ts";
import { num } from "./table.ts";

/** The parts of V8's .cpuprofile format read here. */
interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function and per place (package, source file, or V8's own categories), in µs. */
export interface ProfileSummary {
  totalUs: number;
  byPlace: [string, number][];
  byFunction: [string, number][];
}

/** Where a frame's code lives: `pkg:<name>` for node_modules, the path for the project's files, else V8's name. */
export function placeOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const path = url.replace(/^file:\/\//, "");
  const modules = path.lastIndexOf("/node_modules/");
  if (modules >= 0) {
    const parts = path.slice(modules + "/node_modules/".length).split("/");
    return `pkg:${parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  if (path.startsWith("node:")) return path;
  return path.startsWith("/") ? relative(ROOT, path) : path;
}

/** Adds up a profile's samples by the frame they landed in. */
export function summarise(profile: CpuProfile): ProfileSummary {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byPlace = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const frame = nodes.get(id)!.callFrame;
    const place = placeOf(frame.url, frame.functionName);
    if (place === "(idle)") return;
    totalUs += dt;
    byPlace.set(place, (byPlace.get(place) ?? 0) + dt);
    const fn = `${frame.functionName || "(anonymous)"} ${place}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + dt);
  });
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { totalUs, byPlace: sorted(byPlace), byFunction: sorted(byFunction) };
}

// Each target against the server its benchmark line measures: logins with the login limits on (line 1), the
// others with them off (the mix's wrong passwords would be refused).
// `bare` profiles line 2's other side, the bare node:http server replaying server_settings' answer.
const TARGETS: Record<string, { requests: BenchRequest[]; connections: number; limits: "off" | "default"; bare?: true }> = {
  server_settings: { requests: [REQUESTS.serverSettings], connections: 16, limits: "off" },
  bare: { requests: [REQUESTS.serverSettings], connections: 16, limits: "off", bare: true },
  login: { requests: [REQUESTS.login], connections: 4, limits: "default" },
  mixed: { requests: MIXED, connections: 8, limits: "off" },
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: "string", default: "server_settings" },
      seconds: { type: "string", default: "10" },
      top: { type: "string", default: "25" },
      keep: { type: "string" },
    },
  });
  const target = TARGETS[values.target!];
  if (!target) throw new Error(`--target takes ${Object.keys(TARGETS).join(", ")}`);
  const dir = mkdtempSync(join(tmpdir(), "zulip-auth-profile-"));
  try {
    const profiled = ["--cpu-prof", "--cpu-prof-dir", dir];
    const real = await startBenchServer({ nodeArgs: target.bare ? [] : profiled, limits: target.limits });
    let bare: BenchChild | undefined;
    let completed = 0;
    try {
      if (target.bare) bare = await startBareServer(real.url, profiled);
      const url = bare ? bare.firstLine.trim() : real.url;
      const [first] = target.requests;
      const load = await runLoad(
        target.requests.length === 1
          ? {
              url: url + first!.path,
              method: first!.method,
              headers: first!.headers ?? {},
              body: first!.body ?? "",
              connections: target.connections,
              duration: Number(values.seconds),
            }
          : { url, requests: [...target.requests], connections: target.connections, duration: Number(values.seconds) },
      );
      expectStatuses(values.target!, load, new Set(target.requests.map((r) => r.status)));
      completed = load.completed;
    } finally {
      await bare?.stop();
      await real.stop();
    }
    // One profile per thread; the server's main thread is the one with the most samples.
    const files = readdirSync(dir)
      .filter((f) => f.endsWith(".cpuprofile"))
      .map((f) => join(dir, f));
    if (files.length === 0) throw new Error("the server wrote no .cpuprofile");
    const file = files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    if (values.keep) {
      mkdirSync(values.keep, { recursive: true });
      copyFileSync(file, join(values.keep, `${values.target}.cpuprofile`));
    }
    const s = summarise(JSON.parse(readFileSync(file, "utf8")) as CpuProfile);
    const top = Number(values.top);
    const share = (us: number) => `${((100 * us) / s.totalUs).toFixed(1).padStart(5)} %`;
    const lines = [
      `${values.target}: ${num(completed)} requests in ${values.seconds} s; main thread busy ${num(s.totalUs / 1000)} ms ` +
        `(${num(s.totalUs / completed, 1)} µs per request, idle excluded)`,
      "",
      "self time by place:",
      ...s.byPlace.slice(0, top).map(([place, us]) => `  ${share(us)}  ${place}`),
      "",
      "self time by function:",
      ...s.byFunction.slice(0, top).map(([fn, us]) => `  ${share(us)}  ${fn}`),
    ];
    console.log(lines.join("\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`profile failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  });
}
