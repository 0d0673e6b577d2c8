import type { Schema } from "../../contract/types.ts";
import type { User } from "../../store/schema.ts";
import type { Params } from "../params.ts";

/** The 200 body of both key endpoints; unused parameters (never `client`) listed sorted, as Zulip does. */
export function apiKeySuccess(user: User, params: Params, used: readonly string[]): Schema<"ApiKeySuccess"> {
  const ignored = [...params.names()].filter((name) => name !== "client" && !used.includes(name)).sort();
  return {
    result: "success",
    msg: "",
    api_key: user.api_key,
    email: user.email,
    user_id: user.id,
    ...(ignored.length > 0 ? { ignored_parameters_unsupported: ignored } : {}),
  };
}
