/** One line of the results table. `met` is undefined when it was not measured or has no goal to meet. */
export interface Row {
  id: number;
  name: string;
  result: string;
  against: string;
  ratio: string;
  goal: string;
  met: boolean | undefined;
}

/** The table's header cells, in order (the test of the script reads the table by them). */
export const COLUMNS = ["#", "measure", "result", "against", "ratio", "goal", "met"] as const;

/** A line for something that was not measured, with the reason instead of silence. */
export function notMeasured(id: number, name: string, goal: string, reason: string): Row {
  return { id, name, result: `not measured: ${reason}`, against: "—", ratio: "—", goal, met: undefined };
}

/** The results as a Markdown table. */
export function renderTable(rows: Row[]): string {
  const cells = (r: Row) => [String(r.id), r.name, r.result, r.against, r.ratio, r.goal, r.met === undefined ? "—" : r.met ? "yes" : "**no**"];
  const line = (values: readonly string[]) => `| ${values.map((v) => v.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(COLUMNS), line(COLUMNS.map((c) => (c === "#" ? "--:" : "---"))), ...rows.map((r) => line(cells(r)))].join("\n");
}

/** A number with thousands separated by commas and `digits` decimals. */
export function num(value: number, digits = 0): string {
  const [int, frac] = value.toFixed(digits).split(".");
  return int!.replace(/\B(?=(\d{3})+(?!\d))/g, ",") + (frac ? `.${frac}` : "");
}

/** Megabytes (10^6 bytes), one decimal. */
export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
