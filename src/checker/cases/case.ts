import type { OperationId } from "../../contract/types.ts";
import type { CaseContext } from "../context.ts";

/** One scenario the checker runs against a server, with a stable id such as `fetch-api-key.wrong-password`. */
export interface CheckCase {
  id: string;
  /** One line: what the case asks of the server. */
  title: string;
  operations: OperationId[];
  /** The declared statuses this case expects to see; explains the coverage table's gaps. */
  provokes: Partial<Record<OperationId, number[]>>;
  /** Whether it needs the login with the given password (made once, before every case, and stopping the run if refused). */
  usesPassword?: boolean;
  run(ctx: CaseContext): Promise<void>;
}

/** The path of an operation's pointers in the contract. */
export const FETCH = ["paths", "/fetch_api_key", "post"] as const;
export const DEV_FETCH = ["paths", "/dev_fetch_api_key", "post"] as const;
export const SETTINGS = ["paths", "/server_settings", "get"] as const;
