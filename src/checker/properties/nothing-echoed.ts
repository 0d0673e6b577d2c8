import { PASSWORD_PLACEHOLDER } from "../../shared/redact.ts";
import { isJsonObject } from "../../shared/text.ts";
import type { Exchange } from "../exchange.ts";
import { encodings } from "../mask.ts";
import { answerText } from "../recording.ts";
import { runProperty, sentValue } from "./property.ts";

/** Whether a request sent this value as its username or password. */
const carries = (e: Exchange, value: string) => sentValue(e, "username") === value || sentValue(e, "password") === value;

/** The answer as text, without what Zulip returns by design: the stored email of a success. */
function answerWithoutEmail(e: Exchange): string {
  if (!isJsonObject(e.json) || e.json.result !== "success" || !("email" in e.json)) return answerText(e);
  const { email: _email, ...rest } = e.json;
  return [...[...e.answer.headers].map(([k, v]) => `${k}: ${v}`), JSON.stringify(rest)].join("\n");
}

/**
 * No answer holds a password or username the checker sent, throwaways included, beyond the stored email of a
 * success. Zulip's login answers are fixed texts (`zerver/lib/exceptions.py`: AuthenticationFailedError's
 * "Your username or password is incorrect") and api_fetch_api_key returns only the key, the delivery email and
 * the id. A value the server also sends to requests that did not carry it is one of its own words, not an echo.
 */
export const nothingEchoed = runProperty({
  id: "nothing-echoed",
  title: "nothing sent comes back: no answer holds a password or username the checker sent (the stored email of a success aside)",
  judge(ctx, answers) {
    const sent = answers.flatMap((e) =>
      (["username", "password"] as const).flatMap((name) => {
        const value = sentValue(e, name);
        return value === undefined || value === "" ? [] : [{ e, name, value }];
      }),
    );
    if (sent.length === 0) ctx.notChecked("no request of the run sent a username or password");
    for (const { e, name, value } of sent) {
      const forms = encodings(value);
      const holds = (other: Exchange) => forms.some((f) => answerWithoutEmail(other).includes(f));
      if (!holds(e)) continue;
      // A word the server uses anyway (a password such as "incorrect") cannot be told from an echo.
      if (answers.some((other) => !carries(other, value) && holds(other))) continue;
      ctx.fail(e, "credential-echoed", `the answer holds the ${name} that was sent: it ends up in logs, caches and screenshots`, {
        spec: [...ctx.operationSpec(e.spec.operationId), "responses"],
        expected: `no trace of the ${name}`,
        actual: name === "password" ? `the password sent (shown as ${PASSWORD_PLACEHOLDER} where it is the account's) in the answer` : `${value} in the answer`,
      });
    }
  },
});
