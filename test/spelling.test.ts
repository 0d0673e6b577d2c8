import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** British spelling of Zulip's word, built so that this file does not match itself. */
const BRITISH = new RegExp(`organi${"s"}`, "i");
/** The checker report's published status, and its heading: a renamed value would break its readers. */
const PUBLISHED = /no-organi[s]ation|NO ORGANI[S]ATION/g;

describe("one spelling, Zulip's: organization", () => {
  it("is the only one in the sources, tests, docs and contract", () => {
    const files = execFileSync("git", ["ls-files", "src", "test", "docs", "bench", "scripts", "openapi", "generated", "README.md", "CHANGELOG.md"], {
      encoding: "utf8",
    })
      .split("\n")
      .filter((file) => file !== "" && !file.endsWith(".png"));
    const british = files.filter((file) => BRITISH.test(readFileSync(file, "utf8").replace(PUBLISHED, "")));
    expect(british).toEqual([]);
  });
});
